//! The scenario's `[[ssh.fault]]` over a real loopback socket, through
//! russh's own client: a refused login, slow answers, a session dropped
//! after N commands.

use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::client::{self, AuthResult};
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, Disconnect};
use tokio::net::TcpListener;

use super::{AuthorizedKeys, LoginPolicy, Password, SshServerOptions, generate_ed25519, serve_ssh};
use crate::clock::RealClock;
use crate::scenario::parse;
use crate::topology::Topology;
use crate::world::World;
use crate::{DeviceId, SharedWorld};

const PASSWORD: &str = "lab-ssh-secret";

struct AnyHost;

impl client::Handler for AnyHost {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Serves `device` of a lab with `faults`; the address and a stop switch.
async fn serve(
    faults: &str,
    device: DeviceId,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let text = format!("name = \"t\"\ndescription = \"t\"\n{faults}");
    let scenario = parse("t.toml", &text, &Topology::article()).expect("scenario");
    let world = SharedWorld::new(World::new(scenario), Arc::new(RealClock::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let policy = Arc::new(LoginPolicy {
        keys: AuthorizedKeys::parse(""),
        password: Some(Password::new(PASSWORD)),
    });
    let options = SshServerOptions {
        auth_rejection: Duration::from_millis(10),
        ..SshServerOptions::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let key = generate_ed25519("t").expect("host key");
    tokio::spawn(serve_ssh(
        world,
        device,
        key,
        policy,
        options,
        listener,
        async {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

async fn login(addr: std::net::SocketAddr) -> (client::Handle<AnyHost>, bool) {
    let config = Arc::new(client::Config::default());
    let mut h = client::connect(config, addr, AnyHost)
        .await
        .expect("connect");
    let ok = matches!(
        h.authenticate_password("netops", PASSWORD)
            .await
            .expect("auth runs"),
        AuthResult::Success
    );
    (h, ok)
}

/// Runs `command`; `None` when the session ended without an answer.
async fn exec(h: &client::Handle<AnyHost>, command: &str) -> Option<String> {
    let mut ch = h.channel_open_session().await.ok()?;
    ch.exec(true, command).await.ok()?;
    let mut out = Vec::new();
    let mut status = None;
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    status.map(|_| String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn a_refused_login_is_refused_even_with_the_right_password() {
    let (addr, stop) = serve(
        "[[ssh.fault]]\ndevice = \"ce1\"\nrefuse_login = true\n",
        DeviceId::Ce1,
    )
    .await;
    let (_h, ok) = login(addr).await;
    assert!(!ok, "refused");
    // Another device of the same lab logs in.
    let (addr2, stop2) = serve(
        "[[ssh.fault]]\ndevice = \"ce1\"\nrefuse_login = true\n",
        DeviceId::Ce2,
    )
    .await;
    let (h2, ok2) = login(addr2).await;
    assert!(ok2, "ce2 has no fault");
    let _ = h2.disconnect(Disconnect::ByApplication, "", "").await;
    let _ = (stop.send(()), stop2.send(()));
}

#[tokio::test]
async fn slow_commands_answer_late_and_sessions_drop_after_n() {
    let (addr, stop) = serve(
        "[[ssh.fault]]\ndevice = \"fw\"\nslow_ms = 300\ndrop_after = 2\n",
        DeviceId::Fw,
    )
    .await;
    let (h, ok) = login(addr).await;
    assert!(ok);
    for n in 1..=2 {
        let t = Instant::now();
        let out = exec(&h, "show bgp summary").await;
        assert!(
            out.is_some_and(|o| o.contains("Peer")),
            "command {n} answered"
        );
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "command {n} late: {:?}",
            t.elapsed()
        );
    }
    assert_eq!(
        exec(&h, "show bgp summary").await,
        None,
        "the third is dropped"
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(5), async {
            while !h.is_closed() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .is_ok(),
        "the whole session is closed"
    );
    // A new session gets its own count.
    let (h2, ok2) = login(addr).await;
    assert!(ok2);
    assert!(exec(&h2, "show bgp summary").await.is_some());
    let _ = stop.send(());
}
