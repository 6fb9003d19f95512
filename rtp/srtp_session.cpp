#include "rtp/srtp_session.h"

#include <arpa/inet.h>  // htonl
#include <srtp2/srtp.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <array>
#include <climits>
#include <mutex>
#include <utility>

namespace sfu::rtp {

static_assert(SrtpSession::kMaxRtpTrailer == SRTP_MAX_TRAILER_LEN);
static_assert(SrtpSession::kMaxRtcpTrailer == SRTP_MAX_TRAILER_LEN + 4);
static_assert(srtp_key_salt_length(SrtpProfile::AesCm128HmacSha1_80) == SRTP_AES_ICM_128_KEY_LEN_WSALT);
static_assert(srtp_key_salt_length(SrtpProfile::AeadAes128Gcm) == SRTP_AES_GCM_128_KEY_LEN_WSALT);

namespace {

constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;
constexpr size_t kSrtcpIndexSize = 4;

// libsrtp keeps global state (the crypto kernel) that must be set up exactly once per
// process before the first srtp_create, whichever worker thread gets there first.
srtp_err_status_t ensure_srtp_initialized() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_fail;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

SrtpError map_status(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpError::Ok;
    case srtp_err_status_replay_old:
      return SrtpError::ReplayOld;
    case srtp_err_status_replay_fail:
      return SrtpError::ReplayFail;
    case srtp_err_status_auth_fail:
    // An SRTCP packet whose E flag says "unencrypted" while the policy encrypts: libsrtp
    // refuses before checking the tag. To the caller it is the same forged packet.
    case srtp_err_status_cant_check:
      return SrtpError::AuthFail;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
      return SrtpError::BadInput;
    default:
      return SrtpError::Other;
  }
}

size_t tag_length(SrtpProfile profile) { return profile == SrtpProfile::AeadAes128Gcm ? 16 : 10; }

bool has_rtp_version(const uint8_t* buf) { return (buf[0] >> 6) == 2; }

void set_crypto_policy(SrtpProfile profile, srtp_policy_t& policy) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return;
    case SrtpProfile::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
  }
}

void set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

}  // namespace

const char* srtp_error_name(SrtpError error) {
  switch (error) {
    case SrtpError::Ok:
      return "ok";
    case SrtpError::ReplayOld:
      return "replay_old";
    case SrtpError::ReplayFail:
      return "replay";
    case SrtpError::AuthFail:
      return "auth_fail";
    case SrtpError::BufferTooSmall:
      return "buffer_too_small";
    case SrtpError::BadInput:
      return "bad_input";
    case SrtpError::SsrcLimit:
      return "ssrc_limit";
    case SrtpError::Other:
      return "other";
  }
  return "other";
}

std::unique_ptr<SrtpSession> SrtpSession::create(SrtpProfile profile, ByteSpan key_and_salt,
                                                 Direction direction, std::string* error) {
  if (key_and_salt.size() != srtp_key_salt_length(profile)) {
    set_error(error, std::string("SRTP key and salt for ") + srtp_profile_name(profile) + " must be " +
                         std::to_string(srtp_key_salt_length(profile)) + " bytes, got " +
                         std::to_string(key_and_salt.size()));
    return nullptr;
  }
  if (srtp_err_status_t status = ensure_srtp_initialized(); status != srtp_err_status_ok) {
    set_error(error, "srtp_init failed with status " + std::to_string(status));
    return nullptr;
  }

  // libsrtp wants a mutable key pointer; give it a local copy and wipe it afterwards
  // (srtp_create derives the session keys and does not keep the pointer).
  std::array<unsigned char, SRTP_MAX_KEY_LEN> key{};
  static_assert(SRTP_MAX_KEY_LEN >= SRTP_AES_ICM_128_KEY_LEN_WSALT);
  std::copy(key_and_salt.begin(), key_and_salt.end(), key.begin());

  srtp_policy_t policy{};
  set_crypto_policy(profile, policy);
  policy.ssrc.type = direction == Direction::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key.data();
  policy.window_size = kReplayWindow;
  // Answering a NACK re-protects a packet with a sequence number already sent.
  policy.allow_repeat_tx = direction == Direction::Outbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  srtp_err_status_t status = srtp_create(&session, &policy);
  explicit_bzero(key.data(), key.size());
  if (status != srtp_err_status_ok) {
    set_error(error, "srtp_create failed with status " + std::to_string(status));
    return nullptr;
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(session, profile, direction));
}

SrtpSession::SrtpSession(srtp_ctx_t_* session, SrtpProfile profile, Direction direction)
    : session_(session), profile_(profile), direction_(direction) {}

SrtpSession::~SrtpSession() {
  if (session_ != nullptr) srtp_dealloc(session_);
}

SrtpSession::SrtpSession(SrtpSession&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)),
      profile_(other.profile_),
      direction_(other.direction_),
      stream_limit_(other.stream_limit_),
      streams_(std::move(other.streams_)) {}

SrtpSession& SrtpSession::operator=(SrtpSession&& other) noexcept {
  if (this != &other) {
    if (session_ != nullptr) srtp_dealloc(session_);
    session_ = std::exchange(other.session_, nullptr);
    profile_ = other.profile_;
    direction_ = other.direction_;
    stream_limit_ = other.stream_limit_;
    streams_ = std::move(other.streams_);
  }
  return *this;
}

void SrtpSession::set_stream_limit(size_t max_ssrcs) {
  if (direction_ != Direction::Inbound) return;
  stream_limit_ = max_ssrcs;
  streams_.reserve(max_ssrcs);  // once: note_stream never grows it past the limit
}

void SrtpSession::forget_stream(uint32_t ssrc) {
  if (session_ == nullptr || direction_ != Direction::Inbound) return;
  auto it = std::find(streams_.begin(), streams_.end(), ssrc);
  if (stream_limit_ != 0 && it == streams_.end()) return;
  if (it != streams_.end()) streams_.erase(it);
  srtp_remove_stream(session_, htonl(ssrc));  // libsrtp wants network order here
}

bool SrtpSession::admits(uint32_t ssrc) const {
  if (stream_limit_ == 0 || streams_.size() < stream_limit_) return true;
  return std::find(streams_.begin(), streams_.end(), ssrc) != streams_.end();
}

void SrtpSession::note_stream(uint32_t ssrc) {
  if (stream_limit_ == 0 || std::find(streams_.begin(), streams_.end(), ssrc) != streams_.end()) return;
  streams_.push_back(ssrc);
}

SrtpError SrtpSession::protect_rtp(uint8_t* buf, size_t& len, size_t capacity) {
  if (session_ == nullptr || direction_ != Direction::Outbound || buf == nullptr) return SrtpError::BadInput;
  if (len < kRtpHeaderSize || !has_rtp_version(buf)) return SrtpError::BadInput;
  if (len > INT_MAX - kMaxRtpTrailer) return SrtpError::BadInput;
  if (capacity < len + kMaxRtpTrailer) return SrtpError::BufferTooSmall;
  int out_len = static_cast<int>(len);
  srtp_err_status_t status = srtp_protect(session_, buf, &out_len);
  if (status != srtp_err_status_ok) return map_status(status);
  len = static_cast<size_t>(out_len);
  return SrtpError::Ok;
}

SrtpError SrtpSession::protect_rtcp(uint8_t* buf, size_t& len, size_t capacity) {
  if (session_ == nullptr || direction_ != Direction::Outbound || buf == nullptr) return SrtpError::BadInput;
  if (len < kRtcpHeaderSize || !has_rtp_version(buf)) return SrtpError::BadInput;
  if (len > INT_MAX - kMaxRtcpTrailer) return SrtpError::BadInput;
  if (capacity < len + kMaxRtcpTrailer) return SrtpError::BufferTooSmall;
  int out_len = static_cast<int>(len);
  srtp_err_status_t status = srtp_protect_rtcp(session_, buf, &out_len);
  if (status != srtp_err_status_ok) return map_status(status);
  len = static_cast<size_t>(out_len);
  return SrtpError::Ok;
}

SrtpError SrtpSession::unprotect_rtp(uint8_t* buf, size_t& len) {
  if (session_ == nullptr || direction_ != Direction::Inbound || buf == nullptr) return SrtpError::BadInput;
  // Anything shorter than a bare header plus the tag cannot be valid SRTP; rejecting it
  // here keeps short garbage away from libsrtp's own (historically fragile) checks.
  if (len < kRtpHeaderSize + tag_length(profile_) || !has_rtp_version(buf)) return SrtpError::BadInput;
  if (len > INT_MAX) return SrtpError::BadInput;
  // libsrtp keys its streams by the header's SSRC.
  uint32_t ssrc = load_be32(buf + 8);
  if (!admits(ssrc)) return SrtpError::SsrcLimit;
  int out_len = static_cast<int>(len);
  srtp_err_status_t status = srtp_unprotect(session_, buf, &out_len);
  if (status != srtp_err_status_ok) return map_status(status);
  note_stream(ssrc);
  len = static_cast<size_t>(out_len);
  return SrtpError::Ok;
}

SrtpError SrtpSession::unprotect_rtcp(uint8_t* buf, size_t& len) {
  if (session_ == nullptr || direction_ != Direction::Inbound || buf == nullptr) return SrtpError::BadInput;
  if (len < kRtcpHeaderSize + kSrtcpIndexSize + tag_length(profile_) || !has_rtp_version(buf))
    return SrtpError::BadInput;
  if (len > INT_MAX) return SrtpError::BadInput;
  // libsrtp keys SRTCP by the first packet's sender SSRC, sharing the stream with that SSRC's RTP.
  uint32_t ssrc = load_be32(buf + 4);
  if (!admits(ssrc)) return SrtpError::SsrcLimit;
  int out_len = static_cast<int>(len);
  srtp_err_status_t status = srtp_unprotect_rtcp(session_, buf, &out_len);
  if (status != srtp_err_status_ok) return map_status(status);
  note_stream(ssrc);
  len = static_cast<size_t>(out_len);
  return SrtpError::Ok;
}

}  // namespace sfu::rtp
