// Copies across the C ABI: what goes in comes out, bad input is refused.
#include <gtest/gtest.h>

#include <string>

#include "owned_value.h"

namespace handoff {
namespace {

TEST(CopyArgs, CopiesEveryTypeAndOwnsTheBytes) {
  std::string bytes("a\0b", 3);
  handoff_value in[] = {handoff_nil(), handoff_bool(7), handoff_int(-5), handoff_double(2.5),
                        handoff_bytes(bytes.data(), bytes.size())};
  std::vector<OwnedValue> out;
  std::string error;
  ASSERT_TRUE(CopyArgs(in, 5, &out, &error)) << error;
  bytes.assign("zzz");  // the copy must not alias the caller's memory
  EXPECT_EQ(out[0].type, HANDOFF_NIL);
  EXPECT_TRUE(out[1].boolean);
  EXPECT_EQ(out[2].integer, -5);
  EXPECT_EQ(out[3].real, 2.5);
  EXPECT_EQ(std::string(out[4].bytes.data(), out[4].bytes.size()), std::string("a\0b", 3));
  EXPECT_EQ(out[4].bytes.data()[3], '\0');
}

TEST(CopyArgs, RefusesUnknownTypesAndNullBytes) {
  std::vector<OwnedValue> out;
  std::string error;
  handoff_value bad = handoff_int(1);
  bad.type = static_cast<handoff_type>(42);
  EXPECT_FALSE(CopyArgs(&bad, 1, &out, &error));
  EXPECT_NE(error.find("unknown handoff_type 42"), std::string::npos) << error;
  handoff_value null_bytes = handoff_bytes(nullptr, 3);
  EXPECT_FALSE(CopyArgs(&null_bytes, 1, &out, &error));
  handoff_value empty = handoff_bytes(nullptr, 0);
  EXPECT_TRUE(CopyArgs(&empty, 1, &out, &error));
}

TEST(FillReply, HandsOverOwnedBytesAndStrings) {
  Outcome ok = MakeOutcome(HANDOFF_OK);
  ok.value.type = HANDOFF_BYTES;
  std::string big(1 << 16, 'x');
  ok.value.bytes.Assign(big.data(), big.size());
  const char* buffer = ok.value.bytes.data();
  handoff_reply reply;
  EXPECT_EQ(FillReply(std::move(ok), &reply), HANDOFF_OK);
  ASSERT_EQ(reply.value.type, HANDOFF_BYTES);
  EXPECT_EQ(reply.value.as.bytes.data, buffer);  // handed over, not copied
  EXPECT_EQ(reply.value.as.bytes.size, 1u << 16);
  EXPECT_EQ(reply.value.as.bytes.data[reply.value.as.bytes.size], '\0');
  EXPECT_EQ(reply.error_class, nullptr);
  handoff_reply_free(&reply);

  Outcome empty = MakeOutcome(HANDOFF_OK);  // an empty String: a buffer, NUL only
  empty.value.type = HANDOFF_BYTES;
  EXPECT_EQ(FillReply(std::move(empty), &reply), HANDOFF_OK);
  ASSERT_EQ(reply.value.type, HANDOFF_BYTES);
  EXPECT_EQ(reply.value.as.bytes.size, 0u);
  ASSERT_NE(reply.value.as.bytes.data, nullptr);
  EXPECT_EQ(reply.value.as.bytes.data[0], '\0');
  handoff_reply_free(&reply);

  EXPECT_EQ(FillReply(MakeOutcome(HANDOFF_RAISED, "KeyError", "no such key"), &reply),
            HANDOFF_RAISED);
  EXPECT_STREQ(reply.error_class, "KeyError");
  EXPECT_STREQ(reply.error_message, "no such key");
  EXPECT_EQ(reply.value.type, HANDOFF_NIL);
  handoff_reply_free(&reply);
}

TEST(Invoke, NullOrMismatchedHandleIsInvalidWithoutCallingIn) {
  handoff_reply reply;
  EXPECT_EQ(handoff_invoke(nullptr, nullptr, 0, 0, &reply), HANDOFF_INVALID);
  handoff_callback wrong{HANDOFF_ABI_VERSION + 1, 0, nullptr};
  EXPECT_EQ(handoff_invoke(&wrong, nullptr, 0, 0, &reply), HANDOFF_INVALID);
  EXPECT_STREQ(handoff_status_name(HANDOFF_TIMED_OUT), "timed_out");
}

}  // namespace
}  // namespace handoff
