#include "base/status.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace vg {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  VG_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, NamesMatchTheApi) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidTemplate), "invalid_template");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kQueueUnavailable), "queue_unavailable");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kAssetUnavailable), "asset_unavailable");
}

TEST(StatusTest, ResultPropagatesErrors) {
  EXPECT_EQ(Quarter(8).value(), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "odd");
}

}  // namespace
}  // namespace vg
