//! End to end: the official IVS chat client (npm `amazon-ivs-chat-messaging`, bundled as it ships)
//! in Chromium against the local IVS's room, with tokens from the official Rust SDK — connect, send,
//! delete, disconnect a user, and the room's refusals, each as the client understands them.

use std::time::Duration;

use aws_sdk_ivschat::types::ChatTokenCapability;
use ivs_e2e::{eval, ivschat_client, root, wait_for, Chromium, Stack, TempDir};

const ROOM: &str = "arn:aws:ivschat:us-east-1:000000000000:room/local";

/// What the page does with the official client; its outcome lands in `window.__outcome`.
const SCRIPT: &str = r#"
window.runChat = async (endpoint, tokens) => {
  const out = {};
  const make = (token) => new IvsChat.ChatRoom({
    regionOrUrl: endpoint,
    maxReconnectAttempts: 0,
    tokenProvider: async () => ({ token, sessionExpirationTime: new Date(Date.now() + 3600e3), tokenExpirationTime: new Date(Date.now() + 60e3) }),
  });
  const ann = make(tokens.ann), bob = make(tokens.bob);
  const connected = (room) => new Promise((resolve) => room.addListener('connect', resolve));
  const both = Promise.all([connected(ann), connected(bob)]);
  ann.connect(); bob.connect();
  await both;
  const bobSaw = new Promise((resolve) => bob.addListener('message', resolve));
  const sent = await ann.sendMessage(new IvsChat.SendMessageRequest('hello from the official client', { mood: 'cheerful' }));
  out.sent = { content: sent.content, sender: sent.sender.userId, name: sent.sender.attributes.displayName, mood: sent.attributes.mood, hasTime: sent.sendTime instanceof Date };
  out.bobSaw = (await bobSaw).content;
  const bobHeardDelete = new Promise((resolve) => bob.addListener('messageDelete', resolve));
  const deleted = await ann.deleteMessage(new IvsChat.DeleteMessageRequest(sent.id, 'spam'));
  out.deleted = { same: deleted.messageId === sent.id, reason: deleted.reason };
  out.bobHeardDelete = (await bobHeardDelete).messageId === sent.id;
  try { await bob.deleteMessage(new IvsChat.DeleteMessageRequest(sent.id)); out.forbidden = 'resolved'; } catch (e) { out.forbidden = e.errorCode; }
  try { await bob.sendMessage(new IvsChat.SendMessageRequest('x'.repeat(501))); out.tooLong = 'resolved'; } catch (e) { out.tooLong = e.errorCode; }
  const burst = await Promise.allSettled([...Array(20)].map((_, i) => ann.sendMessage(new IvsChat.SendMessageRequest('burst ' + i))));
  out.limited = burst.filter((r) => r.status === 'rejected' && r.reason.errorCode === 429).length;
  const bobLeft = new Promise((resolve) => bob.addListener('disconnect', resolve));
  const bobTold = new Promise((resolve) => bob.addListener('userDisconnect', resolve));
  const disconnected = await ann.disconnectUser(new IvsChat.DisconnectUserRequest('bob', 'rude'));
  out.disconnected = { user: disconnected.userId, reason: disconnected.reason, bobTold: (await bobTold).userId };
  out.bobLeft = await bobLeft;
  ann.disconnect();
  return out;
};
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_official_chat_client_connects_sends_deletes_disconnects_and_hears_each_refusal() -> anyhow::Result<()> {
    // The client as it ships on npm, bundled for a page (as a site would).
    let site = TempDir::new("chat-client")?;
    let bundled = std::process::Command::new(root().join("node_modules/.bin/esbuild"))
        .arg(root().join("node_modules/amazon-ivs-chat-messaging/dist/esm/index.js"))
        .args(["--bundle", "--format=iife", "--global-name=IvsChat", "--log-level=warning"])
        .arg(format!("--outfile={}", site.0.join("ivs-chat.js").display()))
        .status()?;
    anyhow::ensure!(bundled.success(), "esbuild could not bundle amazon-ivs-chat-messaging (npm ci installs it)");
    std::fs::write(site.0.join("index.html"), format!("<!doctype html><meta charset=utf-8><script src=\"ivs-chat.js\"></script><script>{SCRIPT}</script>"))?;
    let page_url = format!("{}/index.html", ivs_e2e::serve_dir(&site.0, false).await?);

    let stack = Stack::builder().offline().start()?;
    let chat = ivschat_client(&stack).await;
    let token = |user: &'static str, capabilities: Vec<ChatTokenCapability>| {
        let chat = chat.clone();
        async move {
            let answer = chat
                .create_chat_token()
                .room_identifier(ROOM)
                .user_id(user)
                .attributes("displayName", user.to_uppercase())
                .set_capabilities(Some(capabilities))
                .send()
                .await?;
            anyhow::Ok(answer.token().unwrap_or_default().to_owned())
        }
    };
    let ann = token("ann", vec![ChatTokenCapability::SendMessage, ChatTokenCapability::DeleteMessage, ChatTokenCapability::DisconnectUser]).await?;
    let bob = token("bob", vec![ChatTokenCapability::SendMessage]).await?;

    let chromium = Chromium::launch().await?;
    let page = chromium.open(&page_url).await?;
    wait_for(&page, "typeof IvsChat?.ChatRoom === 'function'", Duration::from_secs(10)).await?;
    let call = format!(
        "(window.runChat({:?}, {{ann: {ann:?}, bob: {bob:?}}}).then(o => window.__outcome = o, e => window.__outcome = {{failed: String(e)}}), true)",
        stack.chat
    );
    eval::<bool>(&page, &call).await?;
    wait_for(&page, "window.__outcome !== undefined", Duration::from_secs(20)).await?;
    let outcome: serde_json::Value = eval(&page, "window.__outcome").await?;
    chromium.close().await;

    assert!(outcome.get("failed").is_none(), "{outcome}");
    assert_eq!(
        outcome["sent"],
        serde_json::json!({ "content": "hello from the official client", "sender": "ann", "name": "ANN", "mood": "cheerful", "hasTime": true })
    );
    assert_eq!(outcome["bobSaw"], "hello from the official client");
    // The client reads the older MessageID: its deleteMessage resolves only because the room sends it.
    assert_eq!(outcome["deleted"], serde_json::json!({ "same": true, "reason": "spam" }));
    assert_eq!(outcome["bobHeardDelete"], true);
    assert_eq!(outcome["forbidden"], 403, "no DELETE_MESSAGE capability");
    assert_eq!(outcome["tooLong"], 413, "501 code points in a room of 500");
    assert!(outcome["limited"].as_u64().unwrap_or(0) > 0, "the room's 10 messages a second: {outcome}");
    assert_eq!(outcome["disconnected"], serde_json::json!({ "user": "bob", "reason": "rude", "bobTold": "bob" }));
    assert_eq!(outcome["bobLeft"], "serverDisconnect");
    Ok(())
}
