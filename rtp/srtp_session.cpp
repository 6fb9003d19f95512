#include "rtp/srtp_session.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "rtp/srtp_libsrtp.h"
#include "rtp/srtp_openssl.h"
#include "rtp/srtp_replay_window.h"

namespace sfu::rtp {

// The OpenSSL backend's window is the one the facade promises (libsrtp gets it in its policy).
static_assert(static_cast<unsigned long>(SrtpReplayWindow::kSize) == SrtpSession::kReplayWindow);

namespace {

constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;
constexpr size_t kSrtcpIndexSize = 4;

bool has_rtp_version(const uint8_t* buf) { return (buf[0] >> 6) == 2; }

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

const char* srtp_backend_name(SrtpBackend backend) {
  return backend == SrtpBackend::OpenSsl ? "openssl" : "libsrtp2";
}

std::optional<SrtpBackend> srtp_backend_from_name(std::string_view name) {
  if (name == "openssl") return SrtpBackend::OpenSsl;
  if (name == "libsrtp2") return SrtpBackend::Libsrtp2;
  return std::nullopt;
}

std::unique_ptr<SrtpSession> SrtpSession::create(SrtpProfile profile, ByteSpan key_and_salt,
                                                 Direction direction, std::string* error) {
  return create(SrtpBackend::OpenSsl, profile, key_and_salt, direction, error);
}

std::unique_ptr<SrtpSession> SrtpSession::create(SrtpBackend backend, SrtpProfile profile,
                                                 ByteSpan key_and_salt, Direction direction,
                                                 std::string* error) {
  if (key_and_salt.size() != srtp_key_salt_length(profile)) {
    set_error(error, std::string("SRTP key and salt for ") + srtp_profile_name(profile) + " must be " +
                         std::to_string(srtp_key_salt_length(profile)) + " bytes, got " +
                         std::to_string(key_and_salt.size()));
    return nullptr;
  }
  std::unique_ptr<SrtpSession> session(new SrtpSession(profile, direction));
  const bool outbound = direction == Direction::Outbound;
  if (backend == SrtpBackend::OpenSsl) {
    session->openssl_ = OpensslSrtp::create(profile, key_and_salt, outbound, error);
  } else {
    session->libsrtp_ = LibsrtpSrtp::create(profile, key_and_salt, outbound, error);
  }
  if (!session->openssl_ && !session->libsrtp_) return nullptr;
  return session;
}

SrtpSession::SrtpSession(SrtpProfile profile, Direction direction)
    : profile_(profile), direction_(direction) {}

SrtpSession::~SrtpSession() = default;
SrtpSession::SrtpSession(SrtpSession&& other) noexcept = default;
SrtpSession& SrtpSession::operator=(SrtpSession&& other) noexcept = default;

void SrtpSession::set_stream_limit(size_t max_ssrcs) {
  if (direction_ != Direction::Inbound) return;
  stream_limit_ = max_ssrcs;
  streams_.reserve(max_ssrcs);  // once: note_stream never grows it past the limit
  if (openssl_) openssl_->reserve_streams(max_ssrcs);
}

void SrtpSession::forget_stream(uint32_t ssrc) {
  if (direction_ != Direction::Inbound) return;
  auto it = std::find(streams_.begin(), streams_.end(), ssrc);
  if (stream_limit_ != 0 && it == streams_.end()) return;
  if (it != streams_.end()) streams_.erase(it);
  if (openssl_) {
    openssl_->forget_stream(ssrc);
  } else if (libsrtp_) {
    libsrtp_->forget_stream(ssrc);
  }
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
  if (direction_ != Direction::Outbound || buf == nullptr || !usable()) return SrtpError::BadInput;
  if (len < kRtpHeaderSize || !has_rtp_version(buf)) return SrtpError::BadInput;
  if (len > INT_MAX - kMaxRtpTrailer) return SrtpError::BadInput;
  if (capacity < len + kMaxRtpTrailer) return SrtpError::BufferTooSmall;
  return openssl_ ? openssl_->protect_rtp(buf, len) : libsrtp_->protect_rtp(buf, len);
}

SrtpError SrtpSession::protect_rtcp(uint8_t* buf, size_t& len, size_t capacity) {
  if (direction_ != Direction::Outbound || buf == nullptr || !usable()) return SrtpError::BadInput;
  if (len < kRtcpHeaderSize || !has_rtp_version(buf)) return SrtpError::BadInput;
  if (len > INT_MAX - kMaxRtcpTrailer) return SrtpError::BadInput;
  if (capacity < len + kMaxRtcpTrailer) return SrtpError::BufferTooSmall;
  return openssl_ ? openssl_->protect_rtcp(buf, len) : libsrtp_->protect_rtcp(buf, len);
}

SrtpError SrtpSession::unprotect_rtp(uint8_t* buf, size_t& len) {
  if (direction_ != Direction::Inbound || buf == nullptr || !usable()) return SrtpError::BadInput;
  // Anything shorter than a bare header plus the tag cannot be valid SRTP; rejecting it
  // here keeps short garbage away from the backends' own checks.
  if (len < kRtpHeaderSize + srtp_rtp_tag_length(profile_) || !has_rtp_version(buf))
    return SrtpError::BadInput;
  if (len > INT_MAX) return SrtpError::BadInput;
  // Streams are keyed by the header's SSRC.
  uint32_t ssrc = load_be32(buf + 8);
  if (!admits(ssrc)) return SrtpError::SsrcLimit;
  SrtpError result = openssl_ ? openssl_->unprotect_rtp(buf, len) : libsrtp_->unprotect_rtp(buf, len);
  if (result == SrtpError::Ok) note_stream(ssrc);
  return result;
}

SrtpError SrtpSession::unprotect_rtcp(uint8_t* buf, size_t& len) {
  if (direction_ != Direction::Inbound || buf == nullptr || !usable()) return SrtpError::BadInput;
  if (len < kRtcpHeaderSize + kSrtcpIndexSize + srtp_rtcp_tag_length(profile_) || !has_rtp_version(buf))
    return SrtpError::BadInput;
  if (len > INT_MAX) return SrtpError::BadInput;
  // SRTCP is keyed by the first packet's sender SSRC, sharing the stream with that SSRC's RTP.
  uint32_t ssrc = load_be32(buf + 4);
  if (!admits(ssrc)) return SrtpError::SsrcLimit;
  SrtpError result = openssl_ ? openssl_->unprotect_rtcp(buf, len) : libsrtp_->unprotect_rtcp(buf, len);
  if (result == SrtpError::Ok) note_stream(ssrc);
  return result;
}

}  // namespace sfu::rtp
