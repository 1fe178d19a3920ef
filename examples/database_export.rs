//! A database table exported as CSV: a real SQLite database (rusqlite),
//! created by the example, streamed with the `csv` feature's
//! [`VirtualFile::from_try_csv`], a bounded step at a time.
//!
//! ```text
//! cargo run --example database_export    # then GET http://127.0.0.1:8000/people.csv
//! ```
//!
//! rusqlite's rows borrow their statement, which borrows the connection: a
//! step-at-a-time iterator cannot hold them across steps. So each step
//! queries the next page by key (`WHERE id > ? ORDER BY id LIMIT ?`), which
//! is also what keeps a long export from holding a read transaction open
//! while its client is slow. See docs/databases.md for sqlx (a `Stream`:
//! `from_csv_stream`) and diesel (`load_iter`: `from_try_csv`).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use actix_web::{web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use rusqlite::Connection;
use serde::Serialize;

/// One row of the export.
#[derive(Debug, Serialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub city: String,
}

/// Creates the example's database at `path` with `rows` people.
pub fn create_database(path: &Path, rows: i64) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    db.execute_batch(
        "DROP TABLE IF EXISTS people;
         CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);",
    )?;
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO people (id, name, city) VALUES (?1, ?2, ?3)")?;
        for id in 1..=rows {
            let city = ["Lyon", "Zürich", "São Paulo"][id as usize % 3];
            insert.execute((id, format!("Person {id}"), city))?;
        }
    }
    tx.commit()
}

/// How many rows each query reads.
const PAGE: i64 = 500;

/// The rows of `people` in id order, a page per query, each query on a
/// connection of its own opened where the iterator runs (the blocking pool).
fn people(path: PathBuf) -> impl Iterator<Item = rusqlite::Result<Person>> + Send {
    let mut db: Option<Connection> = None;
    let mut page = Vec::new().into_iter();
    let mut last_id = 0;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if let Some(person) = page.next() {
            return Some(Ok(person));
        }
        if done {
            return None;
        }
        let result = (|| {
            let db = match &mut db {
                Some(db) => db,
                None => db.insert(Connection::open(&path)?),
            };
            let mut query = db.prepare_cached(
                "SELECT id, name, city FROM people WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = query.query_map((last_id, PAGE), |row| {
                Ok(Person {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    city: row.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<Person>>>()
        })();
        match result {
            Ok(people) => {
                done = (people.len() as i64) < PAGE;
                last_id = people.last().map_or(last_id, |p| p.id);
                page = people.into_iter();
            }
            Err(err) => {
                done = true;
                return Some(Err(err));
            }
        }
    })
}

/// `GET /people.csv`: the whole table, with a header row.
#[derive(VirtualDownloadView, Clone)]
#[download(basename = "people.csv")]
pub struct PeopleCsv {
    database: Arc<PathBuf>,
}

impl GetFile for PeopleCsv {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        // No query runs here: `get_file` only describes the file, so HEAD
        // and conditional requests cost no database work.
        Ok(VirtualFile::from_try_csv(people(
            self.database.to_path_buf(),
        )))
    }
}

/// Registers the export of the database at `database`.
pub fn configure(database: PathBuf) -> impl Fn(&mut web::ServiceConfig) + Clone + Send {
    let view = PeopleCsv {
        database: Arc::new(database),
    };
    move |cfg| {
        let view = view.clone();
        cfg.route(
            "/people.csv",
            downloadview::get_or_head().to(move |req: HttpRequest| {
                let view = view.clone();
                async move { downloadview::respond(view, &req) }
            }),
        );
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let database = std::env::temp_dir().join("downloadview-example.sqlite3");
    create_database(&database, 200_000).map_err(std::io::Error::other)?;
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("database_export: http://{addr}/people.csv (200,000 rows of {database:?})");
    HttpServer::new(move || App::new().configure(configure(database.clone())))
        .bind(addr)?
        .run()
        .await
}
