//! Shared pieces of the JSON API: the body, query and form extractors with errors that name
//! the field (each passes every string through [`crate::edge::clean_text`]), the error body
//! schema, and keyset paging.

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
        let bytes = clean_json_body(bytes)?;
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// The body with every string value cleaned ([`crate::edge::clean_text`]); unchanged when
/// nothing needed cleaning or it is not JSON at all (its parser then says what is wrong).
fn clean_json_body(bytes: axum::body::Bytes) -> Result<axum::body::Bytes, ApiError> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Ok(bytes);
    };
    match clean_json(&mut value, "") {
        Ok(false) => Ok(bytes),
        Ok(true) => serde_json::to_vec(&value).map(Into::into).map_err(ApiError::internal),
        Err(field) => Err(nul_error(&field)),
    }
}

/// Cleans the strings of `value` in place; whether any changed, or the path of one with a NUL.
fn clean_json(value: &mut serde_json::Value, path: &str) -> Result<bool, String> {
    use serde_json::Value;
    match value {
        Value::String(text) => match crate::edge::clean_text(text) {
            Ok(std::borrow::Cow::Borrowed(_)) => Ok(false),
            Ok(std::borrow::Cow::Owned(clean)) => {
                *text = clean;
                Ok(true)
            }
            Err(_) => Err(if path.is_empty() { "body".into() } else { path.into() }),
        },
        Value::Array(items) => items.iter_mut().enumerate().try_fold(false, |changed, (i, item)| {
            Ok(clean_json(item, &format!("{path}[{i}]"))? || changed)
        }),
        Value::Object(fields) => fields.iter_mut().try_fold(false, |changed, (key, item)| {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            Ok(clean_json(item, &at)? || changed)
        }),
        _ => Ok(false),
    }
}

fn nul_error(field: &str) -> ApiError {
    ApiError::bad_request(format!(
        "{field}: text must not contain NUL characters (\\u0000, %00); remove them and send it again"
    ))
    .with_code("nul_character")
    .with_details(serde_json::json!({ "field": field }))
}

/// The first parameter of a query string with a character [`crate::edge::clean_text`] removes.
fn control_character_parameter(query: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .find(|(name, value)| {
            matches!(crate::edge::clean_text(name), Ok(std::borrow::Cow::Owned(_)))
                || matches!(crate::edge::clean_text(value), Ok(std::borrow::Cow::Owned(_)))
        })
        .map(|(name, _)| name)
        .unwrap_or_else(|| "query".into())
}

/// Name-value pairs of a query string or form body with each value cleaned
/// ([`crate::edge::clean_text`]); `None` when nothing needed cleaning.
fn clean_pairs(encoded: &[u8]) -> Result<Option<String>, ApiError> {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded) else {
        return Ok(None);
    };
    let mut changed = false;
    let mut cleaned = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let clean_name = crate::edge::clean_text(&name).map_err(|_| nul_error("parameter name"))?;
        let clean_value = crate::edge::clean_text(&value).map_err(|_| nul_error(&clean_name))?;
        changed |=
            matches!(clean_name, std::borrow::Cow::Owned(_)) || matches!(clean_value, std::borrow::Cow::Owned(_));
        cleaned.push((clean_name.into_owned(), clean_value.into_owned()));
    }
    if !changed {
        return Ok(None);
    }
    serde_urlencoded::to_string(&cleaned)
        .map(Some)
        .map_err(ApiError::internal)
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
        // A parameter is a filter, a date or a search, never formatted text: a control
        // character in it is a mistake to point out, not to remove silently.
        if clean_pairs(parts.uri.query().unwrap_or("").as_bytes())?.is_some() {
            let field = control_character_parameter(parts.uri.query().unwrap_or(""));
            return Err(ApiError::bad_request(format!(
                "{field}: a parameter must not contain control or text-direction characters; remove them and send it again"
            ))
            .with_code("control_character")
            .with_details(serde_json::json!({ "parameter": field })));
        }
        let result = axum::extract::Query::<T>::from_request_parts(parts, state).await;
        match result {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

/// A form body (`application/x-www-form-urlencoded`), every value cleaned; its rejections are
/// our errors (a page shows them in the user's language).
pub struct ApiForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(ApiError::bad_request(
                "send the form as `Content-Type: application/x-www-form-urlencoded`",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), usize::MAX)
            .await
            .map_err(|_| ApiError::bad_request("the body could not be read (too large?)"))?;
        let parsed = match clean_pairs(&bytes)? {
            Some(cleaned) => serde_urlencoded::from_str::<T>(&cleaned),
            None => serde_urlencoded::from_bytes::<T>(&bytes),
        };
        parsed
            .map(ApiForm)
            .map_err(|error| ApiError::unprocessable("invalid_field", format!("the form could not be read: {error}")))
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
