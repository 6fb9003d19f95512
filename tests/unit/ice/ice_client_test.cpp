#include "ice/ice_client.h"

#include <gtest/gtest.h>

#include <vector>

#include "ice/ice_lite_agent.h"

namespace sfu::ice {
namespace {

SocketAddress addr(const char* ip, uint16_t port) { return *SocketAddress::from_ip(ip, port); }

const SocketAddress kClientAddr = addr("192.0.2.20", 51000);
const SocketAddress kServerAddr = addr("203.0.113.1", 3478);

// A client and a lite agent wired together in memory.
class ClientVsAgentTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> check(uint64_t now_ms, bool use_candidate) {
    std::vector<uint8_t> buf(IceClient::kMaxMessageSize);
    const size_t n = client_.build_check(now_ms, use_candidate, buf);
    EXPECT_GT(n, 0u);
    buf.resize(n);
    return buf;
  }

  // Runs one check through the agent and the agent's answer back through the client.
  IceClient::Outcome round_trip(uint64_t now_ms, bool use_candidate,
                                IceLiteAgent::Result* agent_result = nullptr) {
    const auto request = check(now_ms, use_candidate);
    std::vector<uint8_t> response(IceLiteAgent::kMaxResponseSize);
    const auto r = agent_.handle_stun(request, kClientAddr, now_ms, response);
    if (agent_result != nullptr) *agent_result = r;
    response.resize(r.response_length);
    std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
    size_t reply_len = 99;
    const auto outcome = client_.handle_stun(response, kServerAddr, now_ms, reply, reply_len);
    EXPECT_EQ(reply_len, 0u);  // a response never needs an answer
    return outcome;
  }

  IceLiteAgent agent_{"srvU", "server-password-0123456789"};
  IceClient client_{"cliU", "client-password-0123456789", "srvU", "server-password-0123456789", 0x1234, true};
};

TEST_F(ClientVsAgentTest, CheckBuildsTheExpectedRequest) {
  const auto request = check(0, true);
  const auto parsed = parse_stun(request);
  ASSERT_TRUE(parsed.ok());
  const StunMessage& m = parsed.message;
  EXPECT_TRUE(m.is_binding_request());
  EXPECT_EQ(m.username, "srvU:cliU");
  EXPECT_EQ(m.priority, IceClient::kDefaultPriority);
  EXPECT_EQ(m.priority, 0x6EFFFFFFu);
  EXPECT_EQ(m.ice_controlling, 0x1234u);
  EXPECT_FALSE(m.ice_controlled.has_value());
  EXPECT_TRUE(m.use_candidate);
  EXPECT_TRUE(verify_message_integrity(request, m, "server-password-0123456789"));
  EXPECT_TRUE(verify_fingerprint(request, m));

  const auto plain = parse_stun(check(1, false));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain.message.use_candidate);
  EXPECT_NE(plain.message.transaction_id, m.transaction_id);  // fresh id per check
}

TEST_F(ClientVsAgentTest, SuccessfulCheckConnectsAndNominates) {
  EXPECT_FALSE(client_.connected());
  IceLiteAgent::Result agent_result;
  EXPECT_EQ(round_trip(100, true, &agent_result), IceClient::Outcome::Connected);
  EXPECT_EQ(agent_result.outcome, IceLiteAgent::Outcome::Nominated);
  EXPECT_TRUE(agent_result.selected_changed);
  EXPECT_TRUE(client_.connected());
  EXPECT_EQ(client_.mapped_address(), kClientAddr);
  EXPECT_EQ(client_.peer_address(), kServerAddr);
  EXPECT_EQ(agent_.selected_address(), kClientAddr);
  EXPECT_EQ(agent_.state(), IceLiteAgent::State::Connected);

  // Consent checks keep both sides alive.
  EXPECT_EQ(round_trip(5'100, false), IceClient::Outcome::ConsentRefreshed);
  EXPECT_FALSE(client_.consent_expired(35'099));
  EXPECT_TRUE(client_.consent_expired(35'100));
}

TEST_F(ClientVsAgentTest, WrongRemotePasswordGets401AndStaysDisconnected) {
  IceClient client("cliU", "client-password-0123456789", "srvU", "not-the-server-password", 0x1234, true);
  std::vector<uint8_t> request(IceClient::kMaxMessageSize);
  request.resize(client.build_check(0, true, request));
  std::vector<uint8_t> response(IceLiteAgent::kMaxResponseSize);
  const auto r = agent_.handle_stun(request, kClientAddr, 0, response);
  ASSERT_EQ(r.outcome, IceLiteAgent::Outcome::Unauthorized401);
  response.resize(r.response_length);
  size_t reply_len = 0;
  std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
  EXPECT_EQ(client.handle_stun(response, kServerAddr, 0, reply, reply_len),
            IceClient::Outcome::ErrorResponse);
  EXPECT_EQ(client.last_error_code(), 401);
  EXPECT_FALSE(client.connected());
  EXPECT_FALSE(agent_.selected_address().has_value());
}

TEST_F(ClientVsAgentTest, ControlledClientSwitchesRoleAfter487) {
  client_ = IceClient("cliU", "client-password-0123456789", "srvU", "server-password-0123456789", 7, false);
  IceLiteAgent::Result agent_result;
  EXPECT_EQ(round_trip(0, true, &agent_result), IceClient::Outcome::RoleSwitched);
  EXPECT_EQ(agent_result.outcome, IceLiteAgent::Outcome::RoleConflict487);
  EXPECT_TRUE(client_.controlling());
  EXPECT_EQ(client_.last_error_code(), 487);
  EXPECT_EQ(round_trip(50, true, &agent_result), IceClient::Outcome::Connected);
  EXPECT_EQ(agent_result.outcome, IceLiteAgent::Outcome::Nominated);
}

TEST_F(ClientVsAgentTest, ResponsesMustMatchAnOutstandingTransaction) {
  // A response to another client's check is unknown to this one.
  IceClient other("cliU", "client-password-0123456789", "srvU", "server-password-0123456789", 1, true);
  std::vector<uint8_t> request(IceClient::kMaxMessageSize);
  request.resize(other.build_check(0, false, request));
  std::vector<uint8_t> response(IceLiteAgent::kMaxResponseSize);
  response.resize(agent_.handle_stun(request, kClientAddr, 0, response).response_length);
  std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
  size_t reply_len = 0;
  EXPECT_EQ(client_.handle_stun(response, kServerAddr, 0, reply, reply_len),
            IceClient::Outcome::UnknownTransaction);
  EXPECT_FALSE(client_.connected());

  // A duplicate of a response already handled is unknown too.
  const auto own = check(0, false);
  response.assign(IceLiteAgent::kMaxResponseSize, 0);
  response.resize(agent_.handle_stun(own, kClientAddr, 0, response).response_length);
  EXPECT_EQ(client_.handle_stun(response, kServerAddr, 0, reply, reply_len), IceClient::Outcome::Connected);
  EXPECT_EQ(client_.handle_stun(response, kServerAddr, 0, reply, reply_len),
            IceClient::Outcome::UnknownTransaction);
}

TEST_F(ClientVsAgentTest, RemembersOnlyTheLastFewTransactions) {
  std::vector<std::vector<uint8_t>> requests;
  for (size_t i = 0; i < IceClient::kMaxOutstanding + 1; ++i) requests.push_back(check(i, false));
  std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
  size_t reply_len = 0;
  auto answer = [&](const std::vector<uint8_t>& request) {
    std::vector<uint8_t> response(IceLiteAgent::kMaxResponseSize);
    response.resize(agent_.handle_stun(request, kClientAddr, 0, response).response_length);
    return client_.handle_stun(response, kServerAddr, 0, reply, reply_len);
  };
  EXPECT_EQ(answer(requests.front()), IceClient::Outcome::UnknownTransaction);  // evicted
  EXPECT_EQ(answer(requests[1]), IceClient::Outcome::Connected);
  EXPECT_EQ(answer(requests.back()), IceClient::Outcome::ConsentRefreshed);
}

TEST_F(ClientVsAgentTest, UnauthenticatedOrForgedSuccessIsRejected) {
  const auto request = check(0, false);
  const auto tid = parse_stun(request).message.transaction_id;
  std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
  size_t reply_len = 0;
  for (const char* key : {"", "wrong-key", static_cast<const char*>(nullptr)}) {
    std::vector<uint8_t> forged(128);
    StunBuilder b(forged);
    b.start(kStunBindingMethod, StunClass::SuccessResponse, tid);
    b.add_xor_mapped_address(addr("10.0.0.1", 1));
    if (key != nullptr) b.add_message_integrity(key);
    b.add_fingerprint();
    forged.resize(b.finish());
    EXPECT_EQ(client_.handle_stun(forged, kServerAddr, 0, reply, reply_len),
              IceClient::Outcome::BadIntegrity);
  }
  EXPECT_FALSE(client_.connected());
  EXPECT_FALSE(client_.mapped_address().has_value());
}

TEST_F(ClientVsAgentTest, CheckScheduleBacksOffOnceConnected) {
  EXPECT_TRUE(client_.needs_check(0));
  check(1'000, false);
  EXPECT_FALSE(client_.needs_check(1'049));
  EXPECT_TRUE(client_.needs_check(1'050));
  EXPECT_FALSE(client_.needs_check(999));  // a clock that went backwards does not trigger

  ASSERT_EQ(round_trip(1'050, true), IceClient::Outcome::Connected);
  EXPECT_FALSE(client_.needs_check(1'100));
  EXPECT_FALSE(client_.needs_check(1'050 + IceClient::kDefaultConsentIntervalMs - 1));
  EXPECT_TRUE(client_.needs_check(1'050 + IceClient::kDefaultConsentIntervalMs));

  client_.set_intervals(10, 100, 1'000);
  EXPECT_TRUE(client_.needs_check(1'150));
  EXPECT_TRUE(client_.consent_expired(2'050));
}

TEST_F(ClientVsAgentTest, TooSmallBufferBuildsNothingAndRecordsNothing) {
  const size_t full = check(0, true).size();
  IceClient fresh("cliU", "client-password-0123456789", "srvU", "server-password-0123456789", 1, true);
  for (size_t n = 0; n < full; ++n) {
    std::vector<uint8_t> small(n);
    EXPECT_EQ(fresh.build_check(0, true, small), 0u) << n;
  }
  EXPECT_TRUE(fresh.needs_check(0));
}

// Two clients talking to each other, as our client does with a full-ICE server that checks back.
class ClientVsClientTest : public ::testing::Test {
 protected:
  // `from` builds a check, `to` answers it, `from` handles the answer.
  struct Exchange {
    IceClient::Outcome answered;
    IceClient::Outcome handled;
  };
  Exchange exchange(IceClient& from, const SocketAddress& from_addr, IceClient& to, bool use_candidate,
                    uint64_t now_ms = 0) {
    std::vector<uint8_t> request(IceClient::kMaxMessageSize);
    request.resize(from.build_check(now_ms, use_candidate, request));
    std::vector<uint8_t> response(IceClient::kMaxMessageSize);
    size_t response_len = 0;
    Exchange e;
    e.answered = to.handle_stun(request, from_addr, now_ms, response, response_len);
    response.resize(response_len);
    std::vector<uint8_t> unused(IceClient::kMaxMessageSize);
    size_t unused_len = 0;
    e.handled = from.handle_stun(response, kServerAddr, now_ms, unused, unused_len);
    return e;
  }

  IceClient controlling_{"aaaa", "password-of-a-0123456789", "bbbb", "password-of-b-0123456789", 100, true};
  IceClient controlled_{"bbbb", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 200, false};
};

TEST_F(ClientVsClientTest, ControllingClientAnswersAControlledPeersCheck) {
  const auto e = exchange(controlled_, kServerAddr, controlling_, false);
  EXPECT_EQ(e.answered, IceClient::Outcome::AnsweredRequest);
  EXPECT_EQ(e.handled, IceClient::Outcome::Connected);
  EXPECT_TRUE(controlled_.connected());
  EXPECT_EQ(controlled_.mapped_address(), kServerAddr);
  EXPECT_TRUE(controlling_.controlling());
  EXPECT_FALSE(controlled_.controlling());

  // And the other way round, with nomination.
  const auto back = exchange(controlling_, kClientAddr, controlled_, true);
  EXPECT_EQ(back.answered, IceClient::Outcome::AnsweredRequest);
  EXPECT_EQ(back.handled, IceClient::Outcome::Connected);
  EXPECT_TRUE(controlled_.nominated_by_peer());
  EXPECT_EQ(controlling_.mapped_address(), kClientAddr);
}

TEST_F(ClientVsClientTest, PeerCheckWithBadCredentialsIsRejected) {
  IceClient stranger("bbbb", "password-of-b-0123456789", "aaaa", "guessed-password", 5, false);
  const auto e = exchange(stranger, kServerAddr, controlling_, false);
  EXPECT_EQ(e.answered, IceClient::Outcome::RejectedRequest);
  EXPECT_EQ(e.handled, IceClient::Outcome::ErrorResponse);
  EXPECT_EQ(stranger.last_error_code(), 401);

  IceClient wrong_ufrag("cccc", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 5, false);
  EXPECT_EQ(exchange(wrong_ufrag, kServerAddr, controlling_, false).answered,
            IceClient::Outcome::RejectedRequest);
  EXPECT_EQ(wrong_ufrag.last_error_code(), 401);
}

TEST_F(ClientVsClientTest, BothControllingLargerTieBreakerWins) {
  IceClient a("aaaa", "password-of-a-0123456789", "bbbb", "password-of-b-0123456789", 100, true);
  IceClient b("bbbb", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 200, true);
  // b has the larger tie-breaker: it answers a's check with 487 and a becomes controlled.
  const auto e = exchange(a, kClientAddr, b, true);
  EXPECT_EQ(e.answered, IceClient::Outcome::RejectedRequest);
  EXPECT_EQ(e.handled, IceClient::Outcome::RoleSwitched);
  EXPECT_FALSE(a.controlling());
  EXPECT_TRUE(b.controlling());
  // Now the roles agree and checks succeed both ways.
  EXPECT_EQ(exchange(a, kClientAddr, b, false).handled, IceClient::Outcome::Connected);
  EXPECT_EQ(exchange(b, kServerAddr, a, true).handled, IceClient::Outcome::Connected);
  EXPECT_TRUE(a.nominated_by_peer());
}

TEST_F(ClientVsClientTest, BothControllingSmallerTieBreakerSwitchesSilently) {
  IceClient a("aaaa", "password-of-a-0123456789", "bbbb", "password-of-b-0123456789", 100, true);
  IceClient b("bbbb", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 200, true);
  // a has the smaller tie-breaker: it switches to controlled and answers b's check with success.
  const auto e = exchange(b, kServerAddr, a, false);
  EXPECT_EQ(e.answered, IceClient::Outcome::AnsweredRequest);
  EXPECT_EQ(e.handled, IceClient::Outcome::Connected);
  EXPECT_FALSE(a.controlling());
  EXPECT_TRUE(b.controlling());
}

TEST_F(ClientVsClientTest, BothControlledLargerTieBreakerTakesControl) {
  IceClient a("aaaa", "password-of-a-0123456789", "bbbb", "password-of-b-0123456789", 100, false);
  IceClient b("bbbb", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 200, false);
  // b (larger) receives a's controlled check: b switches to controlling and answers success.
  auto e = exchange(a, kClientAddr, b, false);
  EXPECT_EQ(e.answered, IceClient::Outcome::AnsweredRequest);
  EXPECT_TRUE(b.controlling());
  EXPECT_FALSE(a.controlling());

  // In the mirrored case the smaller side answers 487 and the larger side switches.
  IceClient c("aaaa", "password-of-a-0123456789", "bbbb", "password-of-b-0123456789", 100, false);
  IceClient d("bbbb", "password-of-b-0123456789", "aaaa", "password-of-a-0123456789", 200, false);
  e = exchange(d, kServerAddr, c, false);
  EXPECT_EQ(e.answered, IceClient::Outcome::RejectedRequest);
  EXPECT_EQ(e.handled, IceClient::Outcome::RoleSwitched);
  EXPECT_TRUE(d.controlling());
  EXPECT_FALSE(c.controlling());
}

TEST_F(ClientVsClientTest, MalformedAndStrayPacketsAreDropped) {
  std::vector<uint8_t> reply(IceClient::kMaxMessageSize);
  size_t reply_len = 7;
  EXPECT_EQ(
      controlling_.handle_stun(std::vector<uint8_t>{0x16, 0xfe, 0xfd}, kServerAddr, 0, reply, reply_len),
      IceClient::Outcome::MalformedStun);
  EXPECT_EQ(reply_len, 0u);

  std::vector<uint8_t> request(IceClient::kMaxMessageSize);
  request.resize(controlled_.build_check(0, false, request));
  for (size_t n = 0; n < request.size(); ++n) {
    const std::vector<uint8_t> cut(request.begin(), request.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(controlling_.handle_stun(cut, kServerAddr, 0, reply, reply_len),
              IceClient::Outcome::MalformedStun);
    EXPECT_EQ(reply_len, 0u);
  }
  auto bad_fp = request;
  bad_fp.back() ^= 0x80;
  EXPECT_EQ(controlling_.handle_stun(bad_fp, kServerAddr, 0, reply, reply_len),
            IceClient::Outcome::BadFingerprint);

  std::vector<uint8_t> indication(64);
  StunBuilder b(indication);
  b.start(kStunBindingMethod, StunClass::Indication, StunTransactionId{});
  b.add_fingerprint();
  indication.resize(b.finish());
  EXPECT_EQ(controlling_.handle_stun(indication, kServerAddr, 0, reply, reply_len),
            IceClient::Outcome::Ignored);
  EXPECT_EQ(reply_len, 0u);
}

}  // namespace
}  // namespace sfu::ice
