//! Several reads sent to PostgreSQL as one statement.
//!
//! A page such as the ticket's makes a score of small reads, and each statement costs a round
//! trip and a transaction of its own — measured on the generated shop, fifteen of the ticket
//! page's reads took 1.4 ms one after the other and 0.26 ms as one statement (docs/PERFORMANCE.md).
//! So a read is written once, as a [`Read`]: its SQL (owned by the module that owns its table)
//! with its parameters. It runs alone ([`Read::all`], [`Read::optional`]), or goes into a
//! [`Batch`] with others: each read becomes a column of one `SELECT` holding its rows as a JSON
//! array, its parameters renumbered after those of the reads before it, and [`Answers::rows`]
//! gives each read's rows back, typed.
//!
//! A row type read in a batch derives `Deserialize` as well as `FromRow`, with the same names:
//! the columns' names are the JSON keys.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, Encode, FromRow, PgConnection, PgExecutor, Postgres, Row, Type};

/// One bound value, kept until the statement it goes into is known.
type Bind = Box<dyn FnOnce(&mut PgArguments) -> Result<(), BoxDynError> + Send>;

/// A read: its statement, which numbers its own parameters from `$1`, and their values.
#[must_use]
pub struct Read<T> {
    sql: &'static str,
    binds: Vec<Bind>,
    row: PhantomData<fn() -> T>,
}

impl<T> Read<T> {
    pub fn new(sql: &'static str) -> Read<T> {
        Read {
            sql,
            binds: Vec::new(),
            row: PhantomData,
        }
    }

    /// The value of the next parameter.
    pub fn bind<V>(mut self, value: V) -> Read<T>
    where
        V: for<'q> Encode<'q, Postgres> + Type<Postgres> + Send + 'static,
    {
        self.binds.push(Box::new(move |args| args.add(value)));
        self
    }
}

/// The values of `binds`, in order, ready to send.
fn arguments(binds: Vec<Bind>) -> Result<PgArguments, BoxDynError> {
    let mut args = PgArguments::default();
    for bind in binds {
        bind(&mut args)?;
    }
    Ok(args)
}

impl<T> Read<T>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    /// Its rows, run alone.
    pub async fn all(self, db: impl PgExecutor<'_>) -> sqlx::Result<Vec<T>> {
        let args = arguments(self.binds).map_err(sqlx::Error::Encode)?;
        sqlx::query_as_with(self.sql, args).fetch_all(db).await
    }

    /// Its one row if there is one, run alone.
    pub async fn optional(self, db: impl PgExecutor<'_>) -> sqlx::Result<Option<T>> {
        let args = arguments(self.binds).map_err(sqlx::Error::Encode)?;
        sqlx::query_as_with(self.sql, args).fetch_optional(db).await
    }
}

/// Where a read's rows are in the [`Answers`] of its batch.
#[must_use]
pub struct Part<T> {
    column: usize,
    row: PhantomData<fn() -> T>,
}

/// Reads gathered to be sent as one statement.
#[derive(Default)]
pub struct Batch {
    sql: String,
    binds: Vec<Bind>,
    columns: usize,
    /// A read whose statement does not use the parameters it was given (a programming error,
    /// reported when the batch runs).
    mismatch: Option<String>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds `read`; its rows come back as [`Answers::rows`] of the part returned.
    pub fn add<T: DeserializeOwned>(&mut self, read: Read<T>) -> Part<T> {
        let (sql, uses) = renumber(read.sql, self.binds.len());
        if uses != read.binds.len() && self.mismatch.is_none() {
            self.mismatch = Some(format!(
                "a read uses {uses} parameter(s) but was given {}: {}",
                read.binds.len(),
                read.sql
            ));
        }
        self.sql.push_str(if self.columns == 0 { "SELECT " } else { ",\n" });
        self.sql.push_str("(SELECT COALESCE(json_agg(part), '[]') FROM (");
        self.sql.push_str(&sql);
        self.sql.push_str(") part)");
        self.binds.extend(read.binds);
        self.columns += 1;
        Part {
            column: self.columns - 1,
            row: PhantomData,
        }
    }

    /// Sends the reads as one statement (none if there are none).
    pub async fn run(self, db: &mut PgConnection) -> sqlx::Result<Answers> {
        if let Some(mismatch) = self.mismatch {
            return Err(sqlx::Error::Protocol(mismatch));
        }
        if self.columns == 0 {
            return Ok(Answers { row: None });
        }
        let args = arguments(self.binds).map_err(sqlx::Error::Encode)?;
        let row = sqlx::query_with(sqlx::AssertSqlSafe(self.sql), args)
            .fetch_one(db)
            .await?;
        Ok(Answers { row: Some(row) })
    }
}

/// The rows of a batch's reads.
pub struct Answers {
    row: Option<PgRow>,
}

impl Answers {
    /// The rows of the read at `part`, in the order its statement gave them.
    pub fn rows<T: DeserializeOwned>(&self, part: Part<T>) -> sqlx::Result<Vec<T>> {
        let row = self.row.as_ref().ok_or_else(|| sqlx::Error::ColumnIndexOutOfBounds {
            index: part.column,
            len: 0,
        })?;
        let sqlx::types::Json(rows) = row.try_get::<sqlx::types::Json<Vec<T>>, _>(part.column)?;
        Ok(rows)
    }

    /// The first row of the read at `part`, if it gave one.
    pub fn first<T: DeserializeOwned>(&self, part: Part<T>) -> sqlx::Result<Option<T>> {
        Ok(self.rows(part)?.into_iter().next())
    }
}

/// `sql` with each parameter `$n` written `$(n + offset)`, and how many parameters it uses (the
/// highest `n`). Quoted text, quoted names and comments are copied as they are (the desk's
/// statements quote text the standard way, `'it''s'`, never with backslashes).
fn renumber(sql: &str, offset: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut uses = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\'' | '"' => {
                // To the closing quote; a doubled one stays inside.
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + digit as usize;
                    chars.next();
                }
                uses = uses.max(n);
                out.push_str(&(n + offset).to_string());
            }
            _ => {}
        }
    }
    (out, uses)
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn parameters_move_after_those_before() {
        assert_eq!(
            renumber("SELECT a FROM t WHERE s = $1 AND b = $2 OR c = $1", 3),
            ("SELECT a FROM t WHERE s = $4 AND b = $5 OR c = $4".into(), 2)
        );
        assert_eq!(renumber("SELECT $10::int", 0), ("SELECT $10::int".into(), 10));
        assert_eq!(renumber("SELECT $10::int", 5), ("SELECT $15::int".into(), 10));
    }

    #[test]
    fn quoted_text_names_and_comments_are_left_alone() {
        assert_eq!(
            renumber("SELECT '$1 it''s $2', \"$3\" -- $4\n FROM t WHERE a = $1", 1),
            ("SELECT '$1 it''s $2', \"$3\" -- $4\n FROM t WHERE a = $2".into(), 1)
        );
    }

    #[test]
    fn a_statement_without_parameters_uses_none() {
        assert_eq!(renumber("SELECT 1", 7), ("SELECT 1".into(), 0));
        assert_eq!(renumber("SELECT x$y FROM t", 2), ("SELECT x$y FROM t".into(), 0));
    }
}
