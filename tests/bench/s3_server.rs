//! A standalone S3-compatible server (s3s-fs: objects as files under a directory)
//! for the upload benchmark: `cargo run --release --example s3_server -- DIR PORT`.
//! The bucket is a directory under DIR; access key `bench`, secret `bench-secret`.

use hyper_util::rt::{TokioExecutor, TokioIo};

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args.next().expect("usage: s3_server DIR PORT");
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: s3_server DIR PORT");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let fs = s3s_fs::FileSystem::new(root).expect("root directory");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single("bench", "bench-secret"));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
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
}
