// ICE restart and address change on a real worker, driven by ICE checks over loopback: a publish
// re-offer with new ICE credentials gets new server credentials, checks that name the new ufrag
// reach the same transport from any address, the old ufrag is still answered until the peer
// nominates with the new one and refused after that (audit row 14). A peer that moves to a new
// port (same credentials) has media sent there from its first nominating check, and the address it
// left is let go once quiet.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/media/room_test_support.h"
#include "tests/unit/media/udp_test_peer.h"

namespace sfu {
namespace {

using media_test::all_of_type;
using media_test::on_worker;
using media_test::UdpTestPeer;

constexpr uint64_t kSession = 1;

struct IceCredentials {
  std::string ufrag, pwd;
};

IceCredentials ice_of(const std::string& sdp_text) {
  sdp::SessionDescription d = sdp::test::parse_ok(sdp_text);
  const sdp::MediaSection& m = d.media.at(0);
  return {m.ice_ufrag.empty() ? d.ice_ufrag : m.ice_ufrag, m.ice_pwd.empty() ? d.ice_pwd : m.ice_pwd};
}

void set_ice_credentials(sdp::SessionDescription& d, const std::string& ufrag, const std::string& pwd) {
  d.ice_ufrag = ufrag;
  d.ice_pwd = pwd;
  for (auto& m : d.media) {
    m.ice_ufrag = ufrag;
    m.ice_pwd = pwd;
  }
}

class IceRestartTest : public media_test::WorkerFixture {
 protected:
  // Consent 4 s: an address nobody checks from for 2 s is let go.
  void configure(config::Config& config) override { config.rtc.consent_timeout_s = 4; }

  void SetUp() override {
    WorkerFixture::SetUp();
    offer_ = media_test::parse_sdp_file("chromium_publish_offer.sdp");
    client_ufrag_ = ice_of(sdp::write_sdp(offer_)).ufrag;
    on_worker(*worker_, [&](Worker& w) {
      Room& room = w.create_room("lobby", events_, RoomLimits{});
      EXPECT_TRUE(room.join("alice", "Alice", kSession).ok());
      return true;
    });
    server_ = publish(offer_);
  }

  IceCredentials publish(const sdp::SessionDescription& offer) {
    on_worker(*worker_, [&](Worker& w) {
      w.find_room("lobby")->publish("alice", offer);
      return true;
    });
    auto answers = all_of_type<PublishAnswer>(events_.take(kSession));
    EXPECT_EQ(answers.size(), 1u);
    return answers.empty() ? IceCredentials{} : ice_of(answers.back().sdp);
  }

  SocketAddress server() const { return *SocketAddress::from_ip("127.0.0.1", worker_->udp_address().port()); }
  // The publish transport, found by its (current) ufrag.
  template <typename Fn>
  auto on_transport(const std::string& ufrag, Fn fn) {
    return on_worker(*worker_, [&](Worker& w) {
      for (uint64_t id = 1; id <= 2; ++id)
        if (WebRtcTransport* t = w.find_transport(id); t && t->ice_ufrag() == ufrag) return fn(*t);
      ADD_FAILURE() << "no transport with ufrag " << ufrag;
      return decltype(fn(*w.find_transport(1))){};
    });
  }

  media_test::RecordingRoomEvents events_;
  sdp::SessionDescription offer_;
  std::string client_ufrag_;
  IceCredentials server_;
};

TEST_F(IceRestartTest, ChecksWithTheNewUfragReachTheSameTransportAndTheOldOneGoesWhenTheRestartCompletes) {
  UdpTestPeer before;
  ASSERT_EQ(before.check(server_.ufrag, server_.pwd, server(), true, client_ufrag_), 200);

  sdp::SessionDescription restart = offer_;
  set_ice_credentials(restart, "NewClientUfrag", "aNewClientPasswordOf24Ch");
  IceCredentials restarted = publish(restart);
  ASSERT_FALSE(restarted.ufrag.empty());
  EXPECT_NE(restarted.ufrag, server_.ufrag);
  EXPECT_NE(restarted.pwd, server_.pwd);
  EXPECT_TRUE(events_.take(kSession).empty());
  EXPECT_EQ(on_transport(restarted.ufrag, [](WebRtcTransport& t) { return t.retiring_ice_ufrag(); }),
            server_.ufrag);

  // Pending: the old pair keeps its consent; the new generation works from a new port.
  EXPECT_EQ(before.check(server_.ufrag, server_.pwd, server(), false, client_ufrag_), 200);
  UdpTestPeer after;
  EXPECT_EQ(after.check(restarted.ufrag, restarted.pwd, server(), false, "NewClientUfrag"), 200);
  EXPECT_EQ(after.check(restarted.ufrag, restarted.pwd, server(), false, client_ufrag_), 401)
      << "the new generation wants the peer's new ufrag";
  UdpTestPeer elsewhere;  // the old ufrag still routes a new address while the restart is pending
  EXPECT_EQ(elsewhere.check(server_.ufrag, server_.pwd, server(), false, client_ufrag_), 200);
  auto remote = [&] {
    return on_transport(restarted.ufrag,
                        [](WebRtcTransport& t) { return t.remote_address().value_or(SocketAddress{}); });
  };
  EXPECT_EQ(remote(), before.address()) << "media stays on the nominated pair until the peer moves it";

  // The peer nominates a new pair: the restart is complete, media goes there.
  EXPECT_EQ(after.check(restarted.ufrag, restarted.pwd, server(), true, "NewClientUfrag"), 200);
  EXPECT_EQ(remote(), after.address());
  EXPECT_TRUE(
      on_transport(restarted.ufrag, [](WebRtcTransport& t) { return t.retiring_ice_ufrag().empty(); }));

  // The old credentials are refused now: 401 from an address the transport knows, silence (and a
  // counted drop) from one it does not.
  EXPECT_EQ(before.check(server_.ufrag, server_.pwd, server(), false, client_ufrag_), 401);
  uint64_t unknown = worker_->drops().get(DropReason::StunUnknownUfrag);
  UdpTestPeer stranger;
  EXPECT_EQ(stranger.check(server_.ufrag, server_.pwd, server(), false, client_ufrag_), 0);
  EXPECT_EQ(worker_->drops().get(DropReason::StunUnknownUfrag), unknown + 1);
  EXPECT_EQ(after.check(restarted.ufrag, restarted.pwd, server(), true, "NewClientUfrag"), 200);
}

TEST_F(IceRestartTest, ARestartThatNeverCompletesDoesNotLeaveItsUfragBehind) {
  sdp::SessionDescription first = offer_;
  set_ice_credentials(first, "FirstRestartUfrag", "aFirstRestartPassword24c");
  IceCredentials pending = publish(first);
  sdp::SessionDescription second = offer_;
  set_ice_credentials(second, "SecondRestartUfra", "aSecondRestartPassword24");
  IceCredentials latest = publish(second);
  EXPECT_EQ(worker_->ice_restarts(), 2u);

  UdpTestPeer peer;
  EXPECT_EQ(peer.check(pending.ufrag, pending.pwd, server(), true, "FirstRestartUfrag"), 0) << "replaced";
  EXPECT_EQ(peer.check(server_.ufrag, server_.pwd, server(), false, client_ufrag_), 200)
      << "still the old one";
  EXPECT_EQ(peer.check(latest.ufrag, latest.pwd, server(), true, "SecondRestartUfra"), 200);

  // Leaving frees every ufrag the transport had: nothing routes to it any more.
  on_worker(*worker_, [](Worker& w) {
    w.find_room("lobby")->leave("alice", "left");
    return true;
  });
  UdpTestPeer late;
  EXPECT_EQ(late.check(latest.ufrag, latest.pwd, server(), true, "SecondRestartUfra"), 0);
  EXPECT_EQ(late.check(server_.ufrag, server_.pwd, server(), true, client_ufrag_), 0);
}

TEST_F(IceRestartTest, APeerThatMovesToANewPortGetsMediaThereAndTheOldAddressIsLetGo) {
  UdpTestPeer wifi;
  ASSERT_EQ(wifi.check(server_.ufrag, server_.pwd, server(), true, client_ufrag_), 200);
  auto state = [&] {
    return on_transport(server_.ufrag, [](WebRtcTransport& t) {
      return std::make_pair(t.remote_address().value_or(SocketAddress{}), t.validated_addresses());
    });
  };
  EXPECT_EQ(state().first, wifi.address());

  // Same credentials, new local port (Wi-Fi to LTE): its first nominating check moves media.
  UdpTestPeer lte;
  ASSERT_EQ(lte.check(server_.ufrag, server_.pwd, server(), true, client_ufrag_), 200);
  EXPECT_EQ(state().first, lte.address());
  EXPECT_EQ(state().second.size(), 2u) << "the old address is kept while it may still be in flight";

  // Once nothing came from the old address for half the consent timeout (2 s here) it is let go;
  // the new one, checked every 500 ms, stays.
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(lte.check(server_.ufrag, server_.pwd, server(), true, client_ufrag_), 200) << i;
  }
  EXPECT_EQ(state().second, std::vector<SocketAddress>{lte.address()});
  EXPECT_EQ(on_worker(*worker_, [](Worker& w) { return w.known_address_count(); }), 1u);
}

}  // namespace
}  // namespace sfu
