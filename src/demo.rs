//! The demo shop.
pub async fn load(_pool: &sqlx::PgPool) -> anyhow::Result<Vec<(String, String, String)>> {
    Ok(Vec::new())
}
