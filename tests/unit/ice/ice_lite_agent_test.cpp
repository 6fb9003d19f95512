#include "ice/ice_lite_agent.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sfu::ice {
namespace {

constexpr std::string_view kLocalUfrag = "srvU";
constexpr std::string_view kLocalPwd = "server-password-0123456789";
constexpr std::string_view kRemoteUfrag = "cliU";

SocketAddress addr(const char* ip, uint16_t port) { return *SocketAddress::from_ip(ip, port); }

// What a test client puts into a Binding request; defaults describe a valid check.
struct CheckSpec {
  std::string username = std::string(kLocalUfrag) + ":" + std::string(kRemoteUfrag);
  std::string key = std::string(kLocalPwd);
  bool with_username = true;
  bool with_integrity = true;
  bool with_fingerprint = true;
  bool use_candidate = false;
  bool controlled = false;  // claims ICE-CONTROLLED instead of ICE-CONTROLLING
  uint16_t unknown_required_attribute = 0;
  StunClass message_class = StunClass::Request;
  uint16_t method = kStunBindingMethod;
  uint8_t tid_seed = 1;
};

std::vector<uint8_t> build_check(const CheckSpec& spec) {
  std::vector<uint8_t> buf(512);
  StunTransactionId tid;
  for (size_t i = 0; i < tid.size(); ++i) tid[i] = static_cast<uint8_t>(spec.tid_seed + i);
  StunBuilder b(buf);
  b.start(spec.method, spec.message_class, tid);
  if (spec.with_username) b.add_username(spec.username);
  b.add_priority(0x6effffff);
  if (spec.controlled)
    b.add_ice_controlled(42);
  else
    b.add_ice_controlling(42);
  if (spec.use_candidate) b.add_use_candidate();
  if (spec.unknown_required_attribute != 0) {
    const uint8_t value[] = {1, 2, 3, 4};
    b.add_attribute(spec.unknown_required_attribute, value);
  }
  if (spec.with_integrity) b.add_message_integrity(spec.key);
  if (spec.with_fingerprint) b.add_fingerprint();
  const size_t n = b.finish();
  EXPECT_GT(n, 0u);
  buf.resize(n);
  return buf;
}

class IceLiteAgentTest : public ::testing::Test {
 protected:
  IceLiteAgent::Result send(const std::vector<uint8_t>& packet, const SocketAddress& from,
                            uint64_t now_ms = 1000) {
    response_.assign(IceLiteAgent::kMaxResponseSize, 0xEE);
    auto result = agent_.handle_stun(packet, from, now_ms, response_);
    response_.resize(result.response_length);
    return result;
  }

  // Parses the last response and checks the invariants every response has: the request's
  // transaction id, the Binding method, and a valid FINGERPRINT.
  StunMessage response(const std::vector<uint8_t>& request) {
    const auto parsed = parse_stun(response_);
    EXPECT_TRUE(parsed.ok()) << to_string(parsed.error);
    EXPECT_EQ(parsed.message.method, kStunBindingMethod);
    EXPECT_EQ(parsed.message.transaction_id, parse_stun(request).message.transaction_id);
    EXPECT_TRUE(verify_fingerprint(response_, parsed.message));
    return parsed.message;
  }

  void expect_error(const std::vector<uint8_t>& request, int code, bool authenticated) {
    ASSERT_GT(response_.size(), 0u);
    const StunMessage m = response(request);
    EXPECT_EQ(m.message_class, StunClass::ErrorResponse);
    ASSERT_TRUE(m.error_code.has_value());
    EXPECT_EQ(m.error_code->code, code);
    EXPECT_EQ(m.has_message_integrity(), authenticated);
    if (authenticated) {
      EXPECT_TRUE(verify_message_integrity(response_, m, kLocalPwd));
    }
  }

  IceLiteAgent agent_{std::string(kLocalUfrag), std::string(kLocalPwd)};
  std::vector<uint8_t> response_;
  const SocketAddress client_a_ = addr("192.0.2.10", 50000);
  const SocketAddress client_b_ = addr("198.51.100.7", 40000);
};

TEST_F(IceLiteAgentTest, ValidCheckGetsAuthenticatedSuccessResponse) {
  const auto request = build_check({});
  const auto r = send(request, client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::BindingSuccess) << to_string(r.outcome);
  EXPECT_FALSE(r.selected_changed);
  ASSERT_GT(r.response_length, 0u);
  const StunMessage m = response(request);
  EXPECT_EQ(m.message_class, StunClass::SuccessResponse);
  EXPECT_EQ(m.xor_mapped_address, client_a_);
  EXPECT_TRUE(verify_message_integrity(response_, m, kLocalPwd));
  EXPECT_FALSE(m.error_code.has_value());

  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Checking);
  EXPECT_EQ(agent_.first_valid_address(), client_a_);
  EXPECT_FALSE(agent_.selected_address().has_value());
  EXPECT_EQ(agent_.remote_ufrag(), kRemoteUfrag);  // learned from the username
  EXPECT_EQ(agent_.last_valid_check_ms(), 1000u);
}

TEST_F(IceLiteAgentTest, Ipv6SourceIsReflected) {
  const auto from = addr("2001:db8::5", 6000);
  const auto request = build_check({});
  ASSERT_EQ(send(request, from).outcome, IceLiteAgent::Outcome::BindingSuccess);
  EXPECT_EQ(response(request).xor_mapped_address, from);
}

TEST_F(IceLiteAgentTest, UseCandidateNominatesTheSourceAddress) {
  CheckSpec spec;
  spec.use_candidate = true;
  const auto request = build_check(spec);
  const auto r = send(request, client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_TRUE(r.selected_changed);
  EXPECT_EQ(response(request).message_class, StunClass::SuccessResponse);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Connected);
  EXPECT_EQ(agent_.selected_address(), client_a_);

  // The same nomination again changes nothing.
  const auto again = send(build_check(spec), client_a_);
  EXPECT_EQ(again.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_FALSE(again.selected_changed);
}

TEST_F(IceLiteAgentTest, NominationMovesToANewAddress) {
  CheckSpec nominate;
  nominate.use_candidate = true;
  ASSERT_TRUE(send(build_check({}), client_a_).outcome == IceLiteAgent::Outcome::BindingSuccess);
  ASSERT_TRUE(send(build_check(nominate), client_a_).selected_changed);

  // A plain check from elsewhere does not move the selected path...
  const auto plain = send(build_check({}), client_b_);
  EXPECT_EQ(plain.outcome, IceLiteAgent::Outcome::BindingSuccess);
  EXPECT_FALSE(plain.selected_changed);
  EXPECT_EQ(agent_.selected_address(), client_a_);

  // ...a nomination from there does (the client's network changed).
  const auto moved = send(build_check(nominate), client_b_);
  EXPECT_EQ(moved.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_TRUE(moved.selected_changed);
  EXPECT_EQ(agent_.selected_address(), client_b_);
  EXPECT_EQ(agent_.first_valid_address(), client_a_);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Connected);
}

TEST_F(IceLiteAgentTest, MissingCredentialsGet400WithoutIntegrity) {
  for (int missing = 0; missing < 3; ++missing) {
    CheckSpec spec;
    spec.with_username = missing != 0;
    spec.with_integrity = missing != 1;
    spec.with_fingerprint = missing != 2;
    const auto request = build_check(spec);
    const auto r = send(request, client_a_);
    EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::BadRequest400) << "case " << missing;
    expect_error(request, 400, false);
  }
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
  EXPECT_FALSE(agent_.last_valid_check_ms().has_value());
}

TEST_F(IceLiteAgentTest, WrongUfragOrPasswordGets401WithoutIntegrity) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"other:cliU", std::string(kLocalPwd)},  // not our ufrag
      {"srvUx:cliU", std::string(kLocalPwd)},  // our ufrag is only a prefix
      {"srvU", std::string(kLocalPwd)},        // no ':' at all
      {"srvU:cliU", "wrong-password"},         // MI does not verify
      {"srvU:cliU", std::string(kLocalPwd) + "x"},
  };
  for (const auto& [username, key] : cases) {
    CheckSpec spec;
    spec.username = username;
    spec.key = key;
    spec.use_candidate = true;
    const auto request = build_check(spec);
    const auto r = send(request, client_a_);
    EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::Unauthorized401) << username << " / " << key;
    expect_error(request, 401, false);
  }
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
  EXPECT_FALSE(agent_.selected_address().has_value());
}

TEST_F(IceLiteAgentTest, KnownRemoteUfragMustMatch) {
  agent_.set_remote_credentials("cliU", "client-pwd");
  CheckSpec wrong;
  wrong.username = "srvU:intruder";
  const auto request = build_check(wrong);
  EXPECT_EQ(send(request, client_a_).outcome, IceLiteAgent::Outcome::Unauthorized401);
  expect_error(request, 401, false);
  EXPECT_EQ(send(build_check({}), client_a_).outcome, IceLiteAgent::Outcome::BindingSuccess);
  EXPECT_EQ(agent_.remote_pwd(), "client-pwd");
}

TEST_F(IceLiteAgentTest, LearnedRemoteUfragMustMatchLaterChecks) {
  ASSERT_EQ(send(build_check({}), client_a_).outcome, IceLiteAgent::Outcome::BindingSuccess);
  CheckSpec other;
  other.username = "srvU:someoneElse";
  EXPECT_EQ(send(build_check(other), client_a_).outcome, IceLiteAgent::Outcome::Unauthorized401);
  EXPECT_EQ(agent_.remote_ufrag(), kRemoteUfrag);
}

TEST_F(IceLiteAgentTest, WrongFingerprintIsDroppedSilently) {
  auto request = build_check({});
  request.back() ^= 0x01;
  const auto r = send(request, client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::BadFingerprint);
  EXPECT_EQ(r.response_length, 0u);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
}

TEST_F(IceLiteAgentTest, PeerClaimingControlledGets487) {
  CheckSpec spec;
  spec.controlled = true;
  spec.use_candidate = true;
  const auto request = build_check(spec);
  const auto r = send(request, client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::RoleConflict487);
  EXPECT_FALSE(r.selected_changed);
  expect_error(request, 487, true);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
  EXPECT_FALSE(agent_.selected_address().has_value());
  EXPECT_FALSE(agent_.last_valid_check_ms().has_value());
}

TEST_F(IceLiteAgentTest, UnknownRequiredAttributeGets420ListingIt) {
  CheckSpec spec;
  spec.unknown_required_attribute = 0x0042;
  const auto request = build_check(spec);
  const auto r = send(request, client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::UnknownAttribute420);
  expect_error(request, 420, true);
  // UNKNOWN-ATTRIBUTES (0x000A) lists the type.
  const auto m = parse_stun(response_);
  ASSERT_TRUE(m.ok());
  bool listed = false;
  for (size_t off = kStunHeaderSize; off + 4 <= response_.size();) {
    const uint16_t type = load_be16(response_.data() + off);
    const uint16_t len = load_be16(response_.data() + off + 2);
    if (type == stun_attr::kUnknownAttributes && len == 2)
      listed = load_be16(response_.data() + off + 4) == 0x0042;
    off += 4 + ((len + 3u) & ~3u);
  }
  EXPECT_TRUE(listed);

  // An unknown optional attribute (>= 0x8000) is fine.
  CheckSpec optional;
  optional.unknown_required_attribute = 0xC057;
  EXPECT_EQ(send(build_check(optional), client_a_).outcome, IceLiteAgent::Outcome::BindingSuccess);
}

TEST_F(IceLiteAgentTest, NonRequestsAndOtherMethodsAreNotAnswered) {
  CheckSpec indication;
  indication.message_class = StunClass::Indication;
  indication.with_integrity = false;
  auto r = send(build_check(indication), client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::IgnoredIndication);
  EXPECT_EQ(r.response_length, 0u);

  for (StunClass c : {StunClass::SuccessResponse, StunClass::ErrorResponse}) {
    CheckSpec response_spec;
    response_spec.message_class = c;
    r = send(build_check(response_spec), client_a_);
    EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::IgnoredResponse);
    EXPECT_EQ(r.response_length, 0u);
  }

  CheckSpec allocate;
  allocate.method = 0x003;  // TURN Allocate
  r = send(build_check(allocate), client_a_);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::NotBindingRequest);
  EXPECT_EQ(r.response_length, 0u);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
}

TEST_F(IceLiteAgentTest, MalformedPacketsAreCountedByReasonAndNeverAnswered) {
  const auto valid = build_check({});
  for (size_t n = 0; n < valid.size(); ++n) {
    const std::vector<uint8_t> cut(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n));
    const auto r = send(cut, client_a_);
    EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::MalformedStun) << n;
    EXPECT_NE(r.parse_error, StunParseError::None) << n;
    EXPECT_EQ(r.response_length, 0u) << n;
  }
  EXPECT_EQ(send(std::vector<uint8_t>{0x80, 0x60, 0, 1}, client_a_).parse_error, StunParseError::TooShort);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
}

TEST_F(IceLiteAgentTest, NoSingleBitFlipIsAcceptedAsValid) {
  const auto valid = build_check({});
  for (size_t i = 0; i < valid.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = valid;
      flipped[i] ^= static_cast<uint8_t>(1u << bit);
      const auto r = send(flipped, client_a_);
      EXPECT_NE(r.outcome, IceLiteAgent::Outcome::BindingSuccess) << "byte " << i << " bit " << bit;
      EXPECT_NE(r.outcome, IceLiteAgent::Outcome::Nominated) << "byte " << i << " bit " << bit;
    }
  }
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);
}

TEST_F(IceLiteAgentTest, ResponseBufferTooSmallSendsNothingButCountsTheCheck) {
  const auto request = build_check({});
  for (size_t size = 0; size < 64; ++size) {
    std::vector<uint8_t> small(size);
    const auto r = agent_.handle_stun(request, addr("2001:db8::1", 1), 1000, small);
    EXPECT_EQ(r.response_length, 0u) << size;
    EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::BindingSuccess);
  }
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Checking);
}

TEST_F(IceLiteAgentTest, ConsentExpiresWithoutValidChecks) {
  EXPECT_FALSE(agent_.consent_expired(1'000'000));  // never checked: the owner's setup timeout applies
  agent_.on_tick(1'000'000);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::New);

  CheckSpec nominate;
  nominate.use_candidate = true;
  ASSERT_EQ(send(build_check(nominate), client_a_, 1'000).outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_FALSE(agent_.consent_expired(30'999));
  EXPECT_TRUE(agent_.consent_expired(31'000));

  // A consent check at 25 s refreshes; invalid checks do not.
  ASSERT_EQ(send(build_check({}), client_a_, 25'000).outcome, IceLiteAgent::Outcome::BindingSuccess);
  CheckSpec bad;
  bad.key = "wrong";
  ASSERT_EQ(send(build_check(bad), client_a_, 40'000).outcome, IceLiteAgent::Outcome::Unauthorized401);
  CheckSpec conflict;
  conflict.controlled = true;
  ASSERT_EQ(send(build_check(conflict), client_a_, 41'000).outcome, IceLiteAgent::Outcome::RoleConflict487);
  EXPECT_EQ(agent_.last_valid_check_ms(), 25'000u);

  agent_.on_tick(54'999);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Connected);
  agent_.on_tick(55'000);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Failed);

  // Failed is terminal: even a valid check is not answered.
  const auto r = send(build_check(nominate), client_a_, 56'000);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::AgentFailed);
  EXPECT_EQ(r.response_length, 0u);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Failed);
}

TEST_F(IceLiteAgentTest, ConsentTimeoutIsConfigurable) {
  IceLiteAgent agent(std::string(kLocalUfrag), std::string(kLocalPwd), 5'000);
  std::vector<uint8_t> out(IceLiteAgent::kMaxResponseSize);
  ASSERT_EQ(agent.handle_stun(build_check({}), client_a_, 100, out).outcome,
            IceLiteAgent::Outcome::BindingSuccess);
  EXPECT_FALSE(agent.consent_expired(5'099));
  EXPECT_TRUE(agent.consent_expired(5'100));
  agent.set_consent_timeout_ms(10'000);
  EXPECT_FALSE(agent.consent_expired(5'100));
  agent.on_tick(10'100);
  EXPECT_EQ(agent.state(), IceLiteAgent::State::Failed);
}

TEST(IceLiteAgentStatic, LocalUfragOfRequest) {
  auto ufrag_of = [](const char* username) {
    StunMessage m;
    if (username != nullptr) m.username = username;
    return IceLiteAgent::local_ufrag_of_request(m);
  };
  EXPECT_EQ(ufrag_of("abc:def"), "abc");
  EXPECT_EQ(ufrag_of("abc:"), "abc");
  EXPECT_EQ(ufrag_of(":def"), "");
  EXPECT_EQ(ufrag_of("a:b:c"), "a");
  EXPECT_FALSE(ufrag_of("abc").has_value());
  EXPECT_FALSE(ufrag_of(nullptr).has_value());

  // And on a parsed request, as the demultiplexer uses it.
  const auto request = build_check({});
  const auto parsed = parse_stun(request);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(IceLiteAgent::local_ufrag_of_request(parsed.message), kLocalUfrag);
}

// ---- ICE restart (RFC 8445 §9) ----

constexpr std::string_view kNewLocalUfrag = "srvN";
constexpr std::string_view kNewLocalPwd = "new-server-password-98765";
constexpr std::string_view kNewRemoteUfrag = "cliN";

CheckSpec new_generation_check(bool use_candidate = false, uint8_t tid_seed = 50) {
  CheckSpec spec;
  spec.username = std::string(kNewLocalUfrag) + ":" + std::string(kNewRemoteUfrag);
  spec.key = std::string(kNewLocalPwd);
  spec.use_candidate = use_candidate;
  spec.tid_seed = tid_seed;
  return spec;
}

class IceRestartTest : public IceLiteAgentTest {
 protected:
  // Connected and nominated on client_a_ with the first credentials, then restarted as a publish
  // re-offer does it: new local credentials, and the peer's new ones from its offer.
  void SetUp() override {
    CheckSpec nominate;
    nominate.use_candidate = true;
    ASSERT_EQ(send(build_check(nominate), client_a_, 1000).outcome, IceLiteAgent::Outcome::Nominated);
    agent_.restart(std::string(kNewLocalUfrag), std::string(kNewLocalPwd));
    agent_.set_remote_credentials(std::string(kNewRemoteUfrag), "new-client-pwd");
  }
  // Sends a check and says whether its success response verifies with `pwd`.
  bool answered_with(const CheckSpec& spec, const SocketAddress& from, uint64_t now_ms,
                     std::string_view pwd) {
    const auto request = build_check(spec);
    const auto r = send(request, from, now_ms);
    if (r.outcome != IceLiteAgent::Outcome::BindingSuccess && r.outcome != IceLiteAgent::Outcome::Nominated)
      return false;
    const StunMessage m = response(request);
    return m.message_class == StunClass::SuccessResponse && verify_message_integrity(response_, m, pwd);
  }
};

TEST_F(IceRestartTest, TheNewCredentialsAreTheLocalOnesAndTheOldStayAcceptedUntilTheRestartCompletes) {
  EXPECT_EQ(agent_.local_ufrag(), kNewLocalUfrag);
  EXPECT_EQ(agent_.local_pwd(), kNewLocalPwd);
  EXPECT_EQ(agent_.remote_ufrag(), kNewRemoteUfrag);
  EXPECT_TRUE(agent_.restart_pending());
  // Media goes on where it went: the peer keeps its old pair alive while it checks the new ones.
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Connected);
  EXPECT_EQ(agent_.selected_address(), client_a_);
  EXPECT_TRUE(answered_with({}, client_a_, 2000, kLocalPwd)) << "old credentials, answered with the old pwd";

  // A check of the new generation from the peer's new address: valid, answered with the new
  // password, but without USE-CANDIDATE the old pair stays selected and the restart pending.
  EXPECT_TRUE(answered_with(new_generation_check(), client_b_, 2100, kNewLocalPwd));
  EXPECT_EQ(agent_.selected_address(), client_a_);
  EXPECT_TRUE(agent_.restart_pending());
  EXPECT_TRUE(answered_with({}, client_a_, 2200, kLocalPwd));

  // The peer nominates a new pair: the restart completes, media moves there.
  const auto request = build_check(new_generation_check(/*use_candidate=*/true, 51));
  const auto r = send(request, client_b_, 2300);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_TRUE(r.restart_completed);
  EXPECT_TRUE(r.selected_changed);
  EXPECT_EQ(agent_.selected_address(), client_b_);
  EXPECT_FALSE(agent_.restart_pending());

  // From now on the old credentials are refused (401, unauthenticated), from any address.
  for (const auto& from : {client_a_, client_b_}) {
    CheckSpec old;
    old.tid_seed = 60;
    const auto stale = build_check(old);
    EXPECT_EQ(send(stale, from, 2400).outcome, IceLiteAgent::Outcome::Unauthorized401);
    expect_error(stale, 401, false);
  }
  EXPECT_TRUE(answered_with(new_generation_check(false, 52), client_b_, 2500, kNewLocalPwd));
  EXPECT_FALSE(send(build_check(new_generation_check(true, 53)), client_b_, 2600).restart_completed)
      << "completes once";
}

TEST_F(IceRestartTest, ANominationWithTheOldCredentialsDoesNotCompleteIt) {
  CheckSpec old;
  old.use_candidate = true;
  const auto r = send(build_check(old), client_b_, 2000);
  EXPECT_EQ(r.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_FALSE(r.restart_completed);
  EXPECT_TRUE(agent_.restart_pending());
  EXPECT_EQ(agent_.selected_address(), client_b_) << "the old generation still moves its pair";
}

TEST_F(IceRestartTest, ConsentCarriesOverTheRestart) {
  // The last check before the restart was at 1 s; consent runs 30 s from the last valid check of
  // either generation.
  EXPECT_FALSE(agent_.consent_expired(30'999));
  EXPECT_TRUE(answered_with({}, client_a_, 20'000, kLocalPwd));  // an old-generation consent check
  EXPECT_FALSE(agent_.consent_expired(49'999));
  EXPECT_TRUE(answered_with(new_generation_check(true), client_b_, 40'000, kNewLocalPwd));
  EXPECT_FALSE(agent_.restart_pending());
  EXPECT_FALSE(agent_.consent_expired(69'999));
  EXPECT_TRUE(agent_.consent_expired(70'000));
  agent_.on_tick(70'000);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Failed);
}

TEST_F(IceRestartTest, TheNewGenerationChecksThePeersNewUfrag) {
  CheckSpec stranger = new_generation_check();
  stranger.username = std::string(kNewLocalUfrag) + ":" + std::string(kRemoteUfrag);  // the peer's old ufrag
  EXPECT_EQ(send(build_check(stranger), client_b_, 2000).outcome, IceLiteAgent::Outcome::Unauthorized401);
  CheckSpec crossed = new_generation_check();
  crossed.key = std::string(kLocalPwd);  // the new ufrag keyed with the old password
  EXPECT_EQ(send(build_check(crossed), client_b_, 2000).outcome, IceLiteAgent::Outcome::Unauthorized401);
  EXPECT_TRUE(agent_.restart_pending());
}

// The subscribe connection: the server restarts first (its offer), the peer's new credentials come
// with its answer, and its checks may come first; they are learned as on a first connection.
TEST_F(IceLiteAgentTest, ARestartBeforeThePeersNewCredentialsLearnsThemFromItsFirstCheck) {
  ASSERT_EQ(send(build_check({}), client_a_, 1000).outcome, IceLiteAgent::Outcome::BindingSuccess);
  agent_.restart(std::string(kNewLocalUfrag), std::string(kNewLocalPwd));
  EXPECT_TRUE(agent_.remote_ufrag().empty());
  ASSERT_EQ(send(build_check(new_generation_check(true)), client_a_, 2000).outcome,
            IceLiteAgent::Outcome::Nominated);
  EXPECT_EQ(agent_.remote_ufrag(), kNewRemoteUfrag);
  EXPECT_FALSE(agent_.restart_pending());
}

TEST_F(IceLiteAgentTest, ASecondRestartReplacesAPendingOne) {
  ASSERT_EQ(send(build_check({}), client_a_, 1000).outcome, IceLiteAgent::Outcome::BindingSuccess);
  agent_.restart("srvX", "pending-password-never-used");
  agent_.restart(std::string(kNewLocalUfrag), std::string(kNewLocalPwd));
  CheckSpec replaced;
  replaced.username = "srvX:" + std::string(kNewRemoteUfrag);
  replaced.key = "pending-password-never-used";
  EXPECT_EQ(send(build_check(replaced), client_a_, 2000).outcome, IceLiteAgent::Outcome::Unauthorized401);
  EXPECT_EQ(send(build_check({}), client_a_, 2000).outcome, IceLiteAgent::Outcome::BindingSuccess)
      << "the credentials in use before both restarts stay until one completes";
  const auto done = send(build_check(new_generation_check(true)), client_b_, 2100);
  EXPECT_TRUE(done.restart_completed);
  EXPECT_EQ(send(build_check({}), client_a_, 2200).outcome, IceLiteAgent::Outcome::Unauthorized401);
}

}  // namespace
}  // namespace sfu::ice
