// SDP parsing and the negotiations a browser's description goes through: the publish answer (with
// data channels off, as before, and on) and the check of a subscribe answer against an offer with
// audio, video and a data channel m-section.
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace {

const sfu::sdp::LocalTransport& local_transport() {
  static const sfu::sdp::LocalTransport local = [] {
    sfu::sdp::LocalTransport t;
    t.ice_ufrag = "ufrag";
    t.ice_pwd = "passwordpasswordpassword";
    t.fingerprint = "AB:CD";
    t.candidates.push_back(sfu::sdp::make_host_candidate("127.0.0.1", 40000));
    return t;
  }();
  return local;
}

// mids 0 (audio), 1 (video), 2 (data channel), as the seeds' subscribe answers have them.
const sfu::sdp::SessionDescription& subscribe_offer() {
  static const sfu::sdp::SessionDescription offer = [] {
    std::vector<sfu::sdp::SubscribeSlot> slots(3);
    slots[0].mid = "0";
    slots[0].kind = sfu::sdp::MediaKind::kAudio;
    slots[0].codecs = {{sfu::sdp::Codec{111, "opus", 48000, 2, {}, {}, {}}, std::nullopt}};
    slots[1].mid = "1";
    slots[1].kind = sfu::sdp::MediaKind::kVideo;
    slots[1].codecs = {{sfu::sdp::Codec{96, "VP8", 90000, 0, {}, {}, {}}, uint8_t{97}}};
    slots[2].mid = "2";
    slots[2].kind = sfu::sdp::MediaKind::kApplication;
    return sfu::sdp::build_subscribe_offer(slots, local_transport(), 1, 1);
  }();
  return offer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sfu::sdp::parse_sdp(text);
  auto* description = std::get_if<sfu::sdp::SessionDescription>(&parsed);
  if (!description) return 0;
  sfu::sdp::write_sdp(*description);
  auto answer = sfu::sdp::negotiate_publish(*description, local_transport());
  if (auto* result = std::get_if<sfu::sdp::PublishResult>(&answer)) sfu::sdp::write_sdp(result->answer);
  sfu::sdp::NegotiationOptions with_data;
  with_data.data_channels = sfu::sdp::DataChannelOptions{};
  answer = sfu::sdp::negotiate_publish(*description, local_transport(), with_data);
  if (auto* result = std::get_if<sfu::sdp::PublishResult>(&answer)) sfu::sdp::write_sdp(result->answer);
  (void)sfu::sdp::apply_subscribe_answer(subscribe_offer(), *description);
  return 0;
}
