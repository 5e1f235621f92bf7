//! The Redis store, for several instances of the server on one Redis.
//!
//! A vote is one Lua script: it reads the poll's record, checks that it is open and the option
//! exists, checks that this person has not voted, records the vote and counts it — atomically,
//! so two instances can never both count one person. Redis runs with its append-only file on
//! (`appendfsync always` in the scripts here), so an acknowledged vote survives Redis restarting.
//!
//! The connection is a [`ConnectionManager`]: when Redis goes away, calls fail at once (the vote
//! is answered 503 and nothing is acknowledged) and it reconnects by itself when Redis is back.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use futures::FutureExt;
use ivs_proto::analytics::{Sums, KEPT_MS};
use ivs_proto::tally::VoteError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{PollRecord, Result, Store, StoreError, Vote, EVENTS_KEPT, GRACE};

/// KEYS: record, votes, counts. ARGV: user, option, now (ms), grace (ms), signed in (1/0).
/// Answers {1, counts…} when counted; {0, code[, option]} when refused.
const VOTE: &str = r#"
local raw = redis.call('GET', KEYS[1])
if not raw then return {0, 1} end
local poll = cjson.decode(raw)
local closes = poll.opened_ms + poll.duration_ms
if type(poll.closed_ms) == 'number' and poll.closed_ms < closes then closes = poll.closed_ms end
if tonumber(ARGV[3]) > closes + tonumber(ARGV[4]) then return {0, 2} end
if poll.signed_in_only == true and ARGV[5] ~= '1' then return {0, 5} end
local option = tonumber(ARGV[2])
if option >= poll.options then return {0, 3} end
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then return {0, 4, tonumber(previous)} end
redis.call('HSET', KEYS[2], ARGV[1], option)
redis.call('HINCRBY', KEYS[3], option, 1)
local fields = {}
for i = 0, poll.options - 1 do fields[#fields + 1] = i end
local counts = redis.call('HMGET', KEYS[3], unpack(fields))
local answer = {1}
for i = 1, #counts do answer[#answer + 1] = tonumber(counts[i] or '0') end
return answer
"#;

/// KEYS: events (hash), order (sorted set). ARGV: id, time, raw, kept.
const RECORD_EVENT: &str = r#"
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
while redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[4]) do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  redis.call('HDEL', KEYS[1], oldest[1])
end
return 1
"#;

/// KEYS: lease. ARGV: holder, ttl (ms).
const LEASE: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"#;

/// KEYS: the minute's sums (hash), the broadcast's minutes (sorted set), the broadcasts (sorted
/// set by latest minute). ARGV: broadcast, minute (ms), expiry (unix s), cutoff (ms), key prefix,
/// then field, amount, field, amount… Adds the sums, notes the minute, and forgets broadcasts and
/// minutes older than the cutoff (the keys also expire by themselves, should no one add again).
/// It names keys it derives (a forgotten broadcast's): one Redis, not a cluster.
const ADD_ANALYTICS: &str = r#"
for i = 6, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'GT', ARGV[2], ARGV[1])
local cutoff = '(' .. ARGV[4]
local function forget(broadcast, minutes)
  for _, minute in ipairs(redis.call('ZRANGEBYSCORE', minutes, '-inf', cutoff)) do
    redis.call('DEL', ARGV[5] .. 'analytics:' .. broadcast .. ':' .. minute)
  end
  redis.call('ZREMRANGEBYSCORE', minutes, '-inf', cutoff)
end
for _, broadcast in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', cutoff)) do
  local minutes = ARGV[5] .. 'analytics:' .. broadcast .. ':minutes'
  forget(broadcast, minutes)
  redis.call('DEL', minutes)
  redis.call('ZREM', KEYS[3], broadcast)
end
forget(ARGV[1], KEYS[2])
return 1
"#;

/// The Redis store.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    vote: Script,
    record_event: Script,
    lease: Script,
    add_analytics: Script,
}

impl RedisStore {
    /// Connects to `url`, trying for up to `patience` (Redis may still be starting). A
    /// `rediss://` URL speaks TLS and checks the server's certificate against the system's roots,
    /// or against `ca_file` (PEM) alone when one is given.
    pub async fn connect(url: &str, ca_file: Option<&Path>, prefix: &str, patience: Duration) -> anyhow::Result<Self> {
        // Two TLS stacks share the process (the AWS SDK's and this one): rustls is told which
        // crypto provider it uses (a second call finds one installed and changes nothing).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let not_a_url = |e: redis::RedisError| anyhow::anyhow!("votes.redis_url {url:?} is not a Redis URL: {e}");
        let client = match ca_file {
            None => redis::Client::open(url).map_err(not_a_url)?,
            Some(path) => {
                let root_cert = std::fs::read(path).with_context(|| format!("cannot read votes.redis_ca_file {}", path.display()))?;
                redis::Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) }).map_err(not_a_url)?
            }
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let deadline = tokio::time::Instant::now() + patience;
        let connection = loop {
            match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
                Ok(connection) => break connection,
                Err(e) if tokio::time::Instant::now() >= deadline => anyhow::bail!("cannot reach Redis at {url}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            vote: Script::new(VOTE),
            record_event: Script::new(RECORD_EVENT),
            lease: Script::new(LEASE),
            add_analytics: Script::new(ADD_ANALYTICS),
        })
    }

    fn key(&self, parts: &[&str]) -> String {
        format!("{}{}", self.prefix, parts.join(":"))
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

fn failed(e: redis::RedisError) -> StoreError {
    StoreError(format!("Redis: {e}"))
}

impl Store for RedisStore {
    fn put_poll(&self, poll: PollRecord) -> BoxFuture<'_, Result<()>> {
        async move {
            let json = serde_json::to_string(&poll).map_err(StoreError::new)?;
            let () = self.connection().set(self.key(&["poll", &poll.id]), json).await.map_err(failed)?;
            Ok(())
        }
        .boxed()
    }

    fn poll(&self, id: &str) -> BoxFuture<'_, Result<Option<PollRecord>>> {
        let key = self.key(&["poll", id]);
        async move {
            let raw: Option<String> = self.connection().get(key).await.map_err(failed)?;
            Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
        }
        .boxed()
    }

    fn vote(&self, poll: &str, user: &str, signed_in: bool, option: usize, now_ms: i64) -> BoxFuture<'_, Result<Vote>> {
        let keys = [self.key(&["poll", poll]), self.key(&["poll", poll, "votes"]), self.key(&["poll", poll, "counts"])];
        let user = user.to_owned();
        async move {
            let answer: Vec<i64> = self
                .vote
                .key(&keys[0])
                .key(&keys[1])
                .key(&keys[2])
                .arg(&user)
                .arg(option)
                .arg(now_ms)
                .arg(GRACE.as_millis() as i64)
                .arg(if signed_in { "1" } else { "0" })
                .invoke_async(&mut self.connection())
                .await
                .map_err(failed)?;
            Ok(match answer.as_slice() {
                [1, counts @ ..] => Vote::Counted(counts.iter().map(|&c| c.max(0) as u64).collect()),
                [0, 1] => Vote::Refused(VoteError::NoSuchPoll),
                [0, 2] => Vote::Refused(VoteError::Closed),
                [0, 3] => Vote::Refused(VoteError::NoSuchOption),
                [0, 5] => Vote::Refused(VoteError::SignInRequired),
                [0, 4, previous] => Vote::Refused(VoteError::AlreadyVoted { option: (*previous).max(0) as usize }),
                other => return Err(StoreError(format!("Redis: the vote script answered {other:?}"))),
            })
        }
        .boxed()
    }

    fn counts(&self, poll: &str) -> BoxFuture<'_, Result<Vec<u64>>> {
        let (record, counts) = (self.key(&["poll", poll]), self.key(&["poll", poll, "counts"]));
        async move {
            let mut connection = self.connection();
            let (raw, tallies): (Option<String>, std::collections::HashMap<usize, u64>) =
                redis::pipe().get(record).hgetall(counts).query_async(&mut connection).await.map_err(failed)?;
            let options = raw.and_then(|r| serde_json::from_str::<PollRecord>(&r).ok()).map_or(0, |p| p.options);
            Ok((0..options).map(|i| tallies.get(&i).copied().unwrap_or(0)).collect())
        }
        .boxed()
    }

    fn vote_of(&self, poll: &str, user: &str) -> BoxFuture<'_, Result<Option<usize>>> {
        let key = self.key(&["poll", poll, "votes"]);
        let user = user.to_owned();
        async move { self.connection().hget(key, user).await.map_err(failed) }.boxed()
    }

    fn get(&self, key: &str) -> BoxFuture<'_, Result<Option<String>>> {
        let key = self.key(&["value", key]);
        async move { self.connection().get(key).await.map_err(failed) }.boxed()
    }

    fn put(&self, key: &str, value: String) -> BoxFuture<'_, Result<()>> {
        let key = self.key(&["value", key]);
        async move { self.connection().set(key, value).await.map_err(failed) }.boxed()
    }

    fn record_event(&self, id: &str, time_ms: i64, raw: String) -> BoxFuture<'_, Result<bool>> {
        let keys = [self.key(&["events"]), self.key(&["events", "order"])];
        let id = id.to_owned();
        async move {
            let added: i64 = self
                .record_event
                .key(&keys[0])
                .key(&keys[1])
                .arg(&id)
                .arg(time_ms)
                .arg(raw)
                .arg(EVENTS_KEPT)
                .invoke_async(&mut self.connection())
                .await
                .map_err(failed)?;
            Ok(added == 1)
        }
        .boxed()
    }

    fn events(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        let keys = [self.key(&["events"]), self.key(&["events", "order"])];
        async move {
            let mut connection = self.connection();
            let ids: Vec<String> = connection.zrange(&keys[1], 0, -1).await.map_err(failed)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let raws: Vec<Option<String>> = redis::cmd("HMGET").arg(&keys[0]).arg(&ids).query_async(&mut connection).await.map_err(failed)?;
            Ok(raws.into_iter().flatten().collect())
        }
        .boxed()
    }

    fn lease(&self, name: &str, holder: &str, ttl: Duration) -> BoxFuture<'_, Result<bool>> {
        let key = self.key(&["lease", name]);
        let holder = holder.to_owned();
        async move {
            let held: i64 = self.lease.key(key).arg(holder).arg(ttl.as_millis() as u64).invoke_async(&mut self.connection()).await.map_err(failed)?;
            Ok(held == 1)
        }
        .boxed()
    }

    fn put_recording_fact(&self, id: &str, started_ms: i64, fact: &str, json: String) -> BoxFuture<'_, Result<()>> {
        let (facts, order, id, fact) = (self.key(&["recording", id]), self.key(&["recordings"]), id.to_owned(), fact.to_owned());
        async move {
            // Two writes, neither reading what the other wrote: HSET of this fact, and the
            // library's order kept at the earliest start named (ZADD LT; NX for a new one).
            let mut pipe = redis::pipe();
            pipe.atomic().hset(&facts, &fact, &json).ignore();
            pipe.cmd("ZADD").arg(&order).arg("NX").arg(started_ms).arg(&id).ignore();
            pipe.cmd("ZADD").arg(&order).arg("LT").arg(started_ms).arg(&id).ignore();
            pipe.query_async::<()>(&mut self.connection()).await.map_err(failed)
        }
        .boxed()
    }

    fn recording_facts(&self, id: &str) -> BoxFuture<'_, Result<std::collections::HashMap<String, String>>> {
        let key = self.key(&["recording", id]);
        async move { self.connection().hgetall(key).await.map_err(failed) }.boxed()
    }

    fn recording_ids(&self, before_ms: Option<i64>, limit: usize) -> BoxFuture<'_, Result<Vec<(i64, String)>>> {
        let order = self.key(&["recordings"]);
        async move {
            let max = before_ms.map_or_else(|| "+inf".to_owned(), |before| format!("({before}"));
            let page: Vec<(String, f64)> = redis::cmd("ZREVRANGEBYSCORE")
                .arg(order)
                .arg(max)
                .arg("-inf")
                .arg("WITHSCORES")
                .arg("LIMIT")
                .arg(0)
                .arg(limit)
                .query_async(&mut self.connection())
                .await
                .map_err(failed)?;
            Ok(page.into_iter().map(|(id, start)| (start as i64, id)).collect())
        }
        .boxed()
    }

    fn add_analytics(&self, broadcast: &str, minute_ms: i64, sums: Sums, now_ms: i64) -> BoxFuture<'_, Result<()>> {
        let minute = minute_ms.to_string();
        let keys = [self.key(&["analytics", broadcast, &minute]), self.key(&["analytics", broadcast, "minutes"]), self.key(&["analytics", "broadcasts"])];
        let broadcast = broadcast.to_owned();
        async move {
            let mut call = self.add_analytics.prepare_invoke();
            call.key(&keys[0]).key(&keys[1]).key(&keys[2]);
            call.arg(&broadcast).arg(minute_ms).arg((minute_ms + KEPT_MS) / 1000).arg(now_ms - KEPT_MS).arg(&self.prefix);
            for (field, amount) in &sums.0 {
                call.arg(field).arg(*amount);
            }
            let _: i64 = call.invoke_async(&mut self.connection()).await.map_err(failed)?;
            Ok(())
        }
        .boxed()
    }

    fn analytics(&self, broadcast: &str) -> BoxFuture<'_, Result<Vec<(i64, Sums)>>> {
        let minutes_key = self.key(&["analytics", broadcast, "minutes"]);
        let broadcast = broadcast.to_owned();
        async move {
            let mut connection = self.connection();
            let minutes: Vec<i64> = connection.zrange(&minutes_key, 0, -1).await.map_err(failed)?;
            if minutes.is_empty() {
                return Ok(Vec::new());
            }
            let mut pipe = redis::pipe();
            for minute in &minutes {
                pipe.hgetall(self.key(&["analytics", &broadcast, &minute.to_string()]));
            }
            let all: Vec<std::collections::BTreeMap<String, i64>> = pipe.query_async(&mut connection).await.map_err(failed)?;
            Ok(minutes.into_iter().zip(all).filter(|(_, fields)| !fields.is_empty()).map(|(minute, fields)| (minute, Sums(fields))).collect())
        }
        .boxed()
    }

    fn analytics_broadcasts(&self) -> BoxFuture<'_, Result<Vec<(i64, String)>>> {
        let key = self.key(&["analytics", "broadcasts"]);
        async move {
            let all: Vec<(String, f64)> =
                redis::cmd("ZREVRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES").query_async(&mut self.connection()).await.map_err(failed)?;
            Ok(all.into_iter().map(|(id, minute)| (minute as i64, id)).collect())
        }
        .boxed()
    }

    fn claim_once(&self, key: &str) -> BoxFuture<'_, Result<bool>> {
        let key = self.key(&["claim", key]);
        async move {
            let set: Option<String> = redis::cmd("SET").arg(key).arg(1).arg("NX").query_async(&mut self.connection()).await.map_err(failed)?;
            Ok(set.is_some())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    //! Against a real `redis-server` on `IVS_TEST_REDIS_URL` (scripts/test.sh starts one); skipped
    //! with a note where none is given.
    use super::super::contract;
    use super::*;

    async fn store(name: &str) -> Option<RedisStore> {
        let Ok(url) = std::env::var("IVS_TEST_REDIS_URL") else {
            // CI always has one (scripts/test.sh starts it): there, a missing Redis is a failure.
            assert!(std::env::var_os("CI").is_none(), "IVS_TEST_REDIS_URL is not set: scripts/test.sh starts a Redis for these tests");
            eprintln!("IVS_TEST_REDIS_URL is not set: the Redis store's tests did not run");
            return None;
        };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        Some(RedisStore::connect(&url, None, &format!("test-{name}-{nanos}:"), Duration::from_secs(5)).await.unwrap())
    }

    #[tokio::test]
    async fn keeps_the_store_contract() {
        let Some(store) = store("contract").await else { return };
        contract::votes_count_once_each_and_only_while_open(&store).await;
        contract::values_events_leases_and_claims(&store).await;
        contract::recordings_keep_their_facts_newest_first(&store).await;
        contract::analytics_add_up_by_minute_and_are_forgotten_after_30_days(&store).await;
    }

    /// The same store over TLS (`rediss://`), the server's certificate checked against the CA
    /// that signed it; a server another CA vouches for is refused.
    #[tokio::test]
    async fn keeps_the_contract_over_tls_with_the_certificate_checked() {
        let (Ok(url), Ok(ca)) = (std::env::var("IVS_TEST_REDISS_URL"), std::env::var("IVS_TEST_REDIS_CA")) else {
            assert!(std::env::var_os("CI").is_none(), "IVS_TEST_REDISS_URL is not set: scripts/test.sh starts a Redis with a TLS port");
            eprintln!("IVS_TEST_REDISS_URL is not set: the Redis store's TLS test did not run");
            return;
        };
        let store = RedisStore::connect(&url, Some(Path::new(&ca)), "test-tls:", Duration::from_secs(5)).await.unwrap();
        contract::votes_count_once_each_and_only_while_open(&store).await;

        let stranger = std::env::temp_dir().join(format!("stranger-ca-{}.pem", std::process::id()));
        let other_ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(&stranger, other_ca.cert.pem()).unwrap();
        let refused = RedisStore::connect(&url, Some(&stranger), "test-tls:", Duration::from_millis(500)).await;
        std::fs::remove_file(&stranger).ok();
        let error = format!("{:#}", refused.err().expect("a certificate no trusted CA signed is refused"));
        assert!(error.contains("cannot reach Redis"), "{error}");
        let missing = RedisStore::connect(&url, Some(Path::new("/nonexistent/ca.pem")), "x", Duration::ZERO).await;
        assert!(format!("{:#}", missing.err().unwrap()).contains("cannot read votes.redis_ca_file /nonexistent/ca.pem"));
    }

    #[tokio::test]
    async fn concurrent_votes_of_one_person_count_once() {
        let Some(store) = store("race").await else { return };
        store.put_poll(contract::poll("p")).await.unwrap();
        let attempts = (0..50).map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.vote("p", "ann", false, i % 3, contract::NOW).await.unwrap() })
        });
        let answers = futures::future::join_all(attempts).await;
        let counted = answers.iter().filter(|a| matches!(a.as_ref().unwrap(), Vote::Counted(_))).count();
        assert_eq!(counted, 1);
        assert_eq!(store.counts("p").await.unwrap().iter().sum::<u64>(), 1);
    }
}
