// `sqlx::migrate!` embeds the migrations when the crate is compiled: rebuild when one changes,
// or a test would run the schema of the last build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
