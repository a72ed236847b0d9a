// redis:// URL parsing, custom id rules and worker connection names.
#include "queue/redis_options.h"

#include <gtest/gtest.h>

#include "queue/producer.h"
#include "queue/queue_keys.h"

namespace vg::queue {
namespace {

TEST(RedisOptionsTest, ParsesFullUrl) {
  Result<RedisOptions> o = ParseRedisUrl("redis://user:p%40ss@cache.internal:6380/2");
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(o->host, "cache.internal");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->username, "user");
  EXPECT_EQ(o->password, "p@ss");
  EXPECT_EQ(o->db, 2);
}

TEST(RedisOptionsTest, DefaultsAndPasswordOnly) {
  Result<RedisOptions> o = ParseRedisUrl("redis://:secret@127.0.0.1");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->password, "secret");
  EXPECT_EQ(o->db, 0);
  Result<RedisOptions> v6 = ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(RedisOptionsTest, RejectsOtherSchemesAndBadNumbers) {
  EXPECT_EQ(ParseRedisUrl("rediss://h:1").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseRedisUrl("redis://h:port").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:6379/x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:70000").ok());
}

TEST(RedisOptionsTest, CustomIdRules) {
  EXPECT_TRUE(ValidateCustomJobId("render-1").ok());
  EXPECT_FALSE(ValidateCustomJobId("42").ok());
  EXPECT_FALSE(ValidateCustomJobId("a:b").ok());
  EXPECT_FALSE(ValidateCustomJobId("0").ok());
  EXPECT_FALSE(ValidateCustomJobId("").ok());
}

TEST(RedisOptionsTest, KeysAndWorkerNames) {
  QueueKeys keys({"bull", "interop"});
  EXPECT_EQ(keys.Base(), "bull:interop:");
  EXPECT_EQ(keys.Lock("7"), "bull:interop:7:lock");
  EXPECT_EQ(keys.Cancel("7"), "bull:interop:7:cancel");
  EXPECT_EQ(WorkerConnectionName({"bull", "interop"}, ""), "bull:aW50ZXJvcA==");
  EXPECT_EQ(WorkerConnectionName({"bull", "video"}, "w1"), "bull:dmlkZW8=:w:w1");
  QueueKeys tagged({"{bull}", "q"});
  EXPECT_EQ(tagged.Key("wait"), "{bull}:q:wait");
}

}  // namespace
}  // namespace vg::queue
