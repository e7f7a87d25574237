//! A real S3-compatible server (s3s-fs, files under a temp dir) shared by the
//! whole test run; each test gets a bucket of its own.

use std::path::PathBuf;
use std::sync::OnceLock;

/// A real S3-compatible server (s3s-fs, files under a temp dir) shared by the whole
/// test run; each test gets a bucket of its own.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
}

pub const S3_KEY: &str = "lauf-test-key";
pub const S3_SECRET: &str = "lauf-test-secret-0123456789";

pub fn s3_server() -> &'static S3Server {
    static SERVER: OnceLock<S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("lauf-s3-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let serve_root = root.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                use hyper_util::rt::{TokioExecutor, TokioIo};
                let fs = s3s_fs::FileSystem::new(serve_root).unwrap();
                let mut builder = s3s::service::S3ServiceBuilder::new(fs);
                builder.set_auth(s3s::auth::SimpleAuth::from_single(S3_KEY, S3_SECRET));
                let service = builder.build();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        continue;
                    };
                    let conn = http
                        .serve_connection(TokioIo::new(socket), service.clone())
                        .into_owned();
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        S3Server {
            endpoint: format!("http://{addr}"),
            root,
        }
    })
}

impl S3Server {
    /// A fresh bucket (a directory, for s3s-fs) and the settings that point at it.
    pub fn bucket(&self) -> (String, Vec<(String, String)>) {
        let name = format!("t{}", uuid::Uuid::new_v4().simple());
        std::fs::create_dir_all(self.root.join(&name)).unwrap();
        let env = vec![
            ("LAUF_STORAGE".to_string(), "s3".to_string()),
            ("LAUF_S3_ENDPOINT".to_string(), self.endpoint.clone()),
            ("LAUF_S3_BUCKET".to_string(), name.clone()),
            ("LAUF_S3_REGION".to_string(), "us-east-1".to_string()),
            ("LAUF_S3_ACCESS_KEY_ID".to_string(), S3_KEY.to_string()),
            (
                "LAUF_S3_SECRET_ACCESS_KEY".to_string(),
                S3_SECRET.to_string(),
            ),
            ("LAUF_S3_PREFIX".to_string(), "lauf/".to_string()),
        ];
        (name, env)
    }
}
