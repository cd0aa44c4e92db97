//! A fresh PostgreSQL database per test, from `CLOUDHALL_TEST_POSTGRES_URL` (set by `make test`).

/// A fresh, empty PostgreSQL database for one test.
pub async fn postgres_url() -> String {
    let admin = std::env::var("CLOUDHALL_TEST_POSTGRES_URL")
        .expect("CLOUDHALL_TEST_POSTGRES_URL is not set: run the tests with `make test`, which starts PostgreSQL");
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!("cloudhall_t{}_{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&pool).await.expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
    format!("{base}/{name}")
}
