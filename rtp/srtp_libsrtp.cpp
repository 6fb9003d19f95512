#include "rtp/srtp_libsrtp.h"

#include <arpa/inet.h>  // htonl
#include <srtp2/srtp.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <array>
#include <mutex>

#include "rtp/srtp_session.h"

namespace sfu::rtp {

// The facade's trailer room is libsrtp's (the tag plus room for an MKI), SRTCP adds the index.
static_assert(SrtpSession::kMaxRtpTrailer == SRTP_MAX_TRAILER_LEN);
static_assert(SrtpSession::kMaxRtcpTrailer == SRTP_MAX_TRAILER_LEN + 4);

static_assert(srtp_key_salt_length(SrtpProfile::AesCm128HmacSha1_80) == SRTP_AES_ICM_128_KEY_LEN_WSALT);
static_assert(srtp_key_salt_length(SrtpProfile::AesCm128HmacSha1_32) == SRTP_AES_ICM_128_KEY_LEN_WSALT);
static_assert(srtp_key_salt_length(SrtpProfile::AeadAes128Gcm) == SRTP_AES_GCM_128_KEY_LEN_WSALT);
static_assert(srtp_key_salt_length(SrtpProfile::AeadAes256Gcm) == SRTP_AES_GCM_256_KEY_LEN_WSALT);

namespace {

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

void set_crypto_policy(SrtpProfile profile, srtp_policy_t& policy) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return;
    case SrtpProfile::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      return;
    case SrtpProfile::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
    case SrtpProfile::AesCm128HmacSha1_32:
      // RFC 5764 §4.1.2: the short tag is for SRTP only; SRTCP keeps the 80-bit one.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return;
  }
}

SrtpError run(srtp_err_status_t (*operation)(srtp_t, void*, int*), srtp_t session, uint8_t* buf,
              size_t& len) {
  int out_len = static_cast<int>(len);  // the facade bounds len well below INT_MAX
  srtp_err_status_t status = operation(session, buf, &out_len);
  if (status != srtp_err_status_ok) return map_status(status);
  len = static_cast<size_t>(out_len);
  return SrtpError::Ok;
}

}  // namespace

std::unique_ptr<LibsrtpSrtp> LibsrtpSrtp::create(SrtpProfile profile, ByteSpan key_and_salt, bool outbound,
                                                 std::string* error) {
  if (srtp_err_status_t status = ensure_srtp_initialized(); status != srtp_err_status_ok) {
    if (error != nullptr) *error = "srtp_init failed with status " + std::to_string(status);
    return nullptr;
  }
  // libsrtp wants a mutable key pointer; give it a local copy and wipe it afterwards
  // (srtp_create derives the session keys and does not keep the pointer).
  std::array<unsigned char, SRTP_MAX_KEY_LEN> key{};
  static_assert(SRTP_MAX_KEY_LEN >= SRTP_AES_GCM_256_KEY_LEN_WSALT);
  if (key_and_salt.size() > key.size()) return nullptr;
  std::copy(key_and_salt.begin(), key_and_salt.end(), key.begin());

  srtp_policy_t policy{};
  set_crypto_policy(profile, policy);
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = key.data();
  policy.window_size = SrtpSession::kReplayWindow;
  // Answering a NACK re-protects a packet with a sequence number already sent.
  policy.allow_repeat_tx = outbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  srtp_err_status_t status = srtp_create(&session, &policy);
  explicit_bzero(key.data(), key.size());
  if (status != srtp_err_status_ok) {
    if (error != nullptr) *error = "srtp_create failed with status " + std::to_string(status);
    return nullptr;
  }
  return std::unique_ptr<LibsrtpSrtp>(new LibsrtpSrtp(session));
}

LibsrtpSrtp::~LibsrtpSrtp() { srtp_dealloc(session_); }

SrtpError LibsrtpSrtp::protect_rtp(uint8_t* buf, size_t& len) {
  return run(srtp_protect, session_, buf, len);
}
SrtpError LibsrtpSrtp::protect_rtcp(uint8_t* buf, size_t& len) {
  return run(srtp_protect_rtcp, session_, buf, len);
}
SrtpError LibsrtpSrtp::unprotect_rtp(uint8_t* buf, size_t& len) {
  return run(srtp_unprotect, session_, buf, len);
}
SrtpError LibsrtpSrtp::unprotect_rtcp(uint8_t* buf, size_t& len) {
  return run(srtp_unprotect_rtcp, session_, buf, len);
}

void LibsrtpSrtp::forget_stream(uint32_t ssrc) {
  srtp_remove_stream(session_, htonl(ssrc));  // libsrtp wants network order here
}

}  // namespace sfu::rtp
