//! tonic on the loop, both sides: a gRPC service written as `tonic-build` would generate it
//! (messages derived with prost, no protoc), served by `compat::hyper::serve`, called through
//! `asyncio_ecosystem::tonic::Channel` — a unary call, a server-streaming call and an error
//! status.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio_ecosystem::tonic::Channel;
use futures_util::StreamExt;
use tonic::codegen::http;
use tonic::server::{ServerStreamingService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint32, tag = "2")]
    times: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
}

const SAY_HELLO: &str = "/demo.Greeter/SayHello";
const SAY_MANY: &str = "/demo.Greeter/SayMany";

/// The server: routes by path, as a generated `GreeterServer` does.
#[derive(Clone)]
struct Greeter;

struct SayHello;

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = Pin<Box<dyn Future<Output = Result<Response<HelloReply>, Status>> + Send>>;

    fn call(&mut self, req: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let name = req.into_inner().name;
            if name.is_empty() {
                return Err(Status::invalid_argument("name is empty"));
            }
            Ok(Response::new(HelloReply {
                message: format!("hello, {name}"),
            }))
        })
    }
}

struct SayMany;

type ReplyStream = Pin<Box<dyn futures_util::Stream<Item = Result<HelloReply, Status>> + Send>>;

impl ServerStreamingService<HelloRequest> for SayMany {
    type Response = HelloReply;
    type ResponseStream = ReplyStream;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ReplyStream>, Status>> + Send>>;

    fn call(&mut self, req: Request<HelloRequest>) -> Self::Future {
        Box::pin(async move {
            let r = req.into_inner();
            let replies = (0..r.times).map(move |i| {
                Ok(HelloReply {
                    message: format!("hello #{i}, {}", r.name),
                })
            });
            Ok(Response::new(
                Box::pin(futures_util::stream::iter(replies)) as ReplyStream
            ))
        })
    }
}

impl tower::Service<http::Request<hyper::body::Incoming>> for Greeter {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        Box::pin(async move {
            let codec = ProstCodec::<HelloReply, HelloRequest>::default();
            let mut grpc = tonic::server::Grpc::new(codec);
            Ok(match req.uri().path() {
                SAY_HELLO => grpc.unary(SayHello, req).await,
                SAY_MANY => grpc.server_streaming(SayMany, req).await,
                _ => Status::unimplemented("no such method").into_http(),
            })
        })
    }
}

async fn client(addr: std::net::SocketAddr) -> tonic::client::Grpc<Channel> {
    let channel = Channel::connect(addr).await.unwrap();
    let origin = format!("http://{addr}").parse().unwrap();
    tonic::client::Grpc::with_origin(channel, origin)
}

#[test]
fn unary_and_server_streaming_calls_on_the_loop() {
    asyncio::run(async {
        let server = asyncio::compat::hyper::serve(
            "127.0.0.1:0",
            hyper_util::service::TowerToHyperService::new(Greeter),
        )
        .await
        .unwrap();
        let addr = server.local_addr().unwrap();
        let mut grpc = client(addr).await;

        // Unary, 100 times over one connection.
        for i in 0..100 {
            grpc.ready().await.unwrap();
            let reply: Response<HelloReply> = grpc
                .unary(
                    Request::new(HelloRequest {
                        name: format!("ada {i}"),
                        times: 0,
                    }),
                    http::uri::PathAndQuery::from_static(SAY_HELLO),
                    ProstCodec::<HelloRequest, HelloReply>::default(),
                )
                .await
                .unwrap();
            assert_eq!(reply.into_inner().message, format!("hello, ada {i}"));
        }

        // An error status crosses intact.
        grpc.ready().await.unwrap();
        let status = grpc
            .unary::<_, HelloReply, _>(
                Request::new(HelloRequest::default()),
                http::uri::PathAndQuery::from_static(SAY_HELLO),
                ProstCodec::<HelloRequest, HelloReply>::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "name is empty");

        // Server streaming: 500 replies in order.
        grpc.ready().await.unwrap();
        let mut stream = grpc
            .server_streaming(
                Request::new(HelloRequest {
                    name: "grace".into(),
                    times: 500,
                }),
                http::uri::PathAndQuery::from_static(SAY_MANY),
                ProstCodec::<HelloRequest, HelloReply>::default(),
            )
            .await
            .unwrap()
            .into_inner();
        let mut n = 0;
        while let Some(reply) = stream.next().await {
            assert_eq!(reply.unwrap().message, format!("hello #{n}, grace"));
            n += 1;
        }
        assert_eq!(n, 500);

        // Calls from several tasks share the channel (HTTP/2 multiplexing).
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let mut grpc = grpc.clone();
                asyncio::spawn(async move {
                    grpc.ready().await.unwrap();
                    grpc.unary::<_, HelloReply, _>(
                        Request::new(HelloRequest {
                            name: format!("task {t}"),
                            times: 0,
                        }),
                        http::uri::PathAndQuery::from_static(SAY_HELLO),
                        ProstCodec::<HelloRequest, HelloReply>::default(),
                    )
                    .await
                    .unwrap()
                    .into_inner()
                    .message
                })
            })
            .collect();
        for (t, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), format!("hello, task {t}"));
        }
        assert_eq!(server.shutdown(std::time::Duration::from_secs(1)).await, 0);
    });
}
