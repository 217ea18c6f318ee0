//! Shared pieces of the JSON API: the body extractor with errors that name the field, the error
//! body schema, and keyset paging.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::ApiError;

/// `Json<T>` whose rejections are our JSON errors: 400 for unreadable JSON, 422 naming the field
/// for a missing or mistyped one.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| ApiError::bad_request("the body could not be read (too large?)"))?;
        // PostgreSQL text cannot hold NUL characters: refuse them here, clearly, instead of
        // failing deep down.
        if bytes.windows(6).any(|w| w == b"\\u0000") {
            return Err(ApiError::invalid(
                "body",
                "text must not contain NUL characters (\\u0000)",
            ));
        }
        // Every body of this API is one JSON object (serde would also take a struct as an array).
        if bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b != b'{')
        {
            return Err(ApiError::invalid(
                "body",
                "send one JSON object, e.g. {\"text\": \"…\"}",
            ));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            // serde_path_to_error puts the path first: "kind: unknown variant `x`, expected ...".
            let text = error.body_text();
            let detail = text
                .split_once("target type: ")
                .map(|(_, d)| d)
                .unwrap_or(&text)
                .to_string();
            let field = detail
                .split_once(": ")
                .map(|(path, _)| path.to_string())
                .filter(|path| !path.contains(' '))
                .unwrap_or_else(|| missing_field(&detail).unwrap_or_else(|| "body".to_string()));
            // `invalid` puts the field first itself.
            let message = detail.strip_prefix(&format!("{field}: ")).unwrap_or(&detail);
            ApiError::invalid(&field, message)
        }
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("send the body as JSON with the header `Content-Type: application/json`")
        }
        other => ApiError::bad_request(format!("the body is not valid JSON: {}", other.body_text())),
    }
}

fn missing_field(detail: &str) -> Option<String> {
    let start = detail.find("missing field `")? + "missing field `".len();
    let end = detail[start..].find('`')?;
    Some(detail[start..start + end].to_string())
}

/// `Query<T>` whose rejection is a 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text.split_once("query string: ").map(|(_, d)| d).unwrap_or(&text);
    ApiError::bad_request(format!("bad query parameter: {detail}"))
}

/// The JSON error body (for the OpenAPI document).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of an error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code, e.g. `illegal_transition`, `stale_version`, `not_found`.
    pub code: String,
    /// What was wrong and what to do, for a person.
    pub message: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// One page of a keyset-paged list.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
