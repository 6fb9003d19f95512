#include "rtp/srtp_openssl.h"

#include <openssl/crypto.h>  // CRYPTO_memcmp

#include <algorithm>

namespace sfu::rtp {

namespace {

constexpr size_t kRtpFixedHeader = 12;
constexpr size_t kRtcpHeader = 8;
constexpr size_t kSrtcpTrailer = 4;  // E flag and 31-bit SRTCP index
constexpr uint32_t kEncryptedFlag = 0x80000000;

// The RTP header's length (fixed part, CSRCs, extension), or 0 when the packet is shorter than
// the header says: libsrtp's srtp_validate_rtp_header, whose refusals are BadInput.
size_t rtp_header_length(const uint8_t* buf, size_t len) {
  size_t header = kRtpFixedHeader + 4 * size_t{buf[0] & 0x0fU};
  const bool extension = (buf[0] & 0x10U) != 0;
  if (extension) header += 4;
  if (len < header) return 0;
  if (extension) header += 4 * size_t{load_be16(buf + header - 2)};
  return len < header ? 0 : header;
}

SrtpError replay_error(ReplayCheck check) {
  return check == ReplayCheck::Old ? SrtpError::ReplayOld : SrtpError::ReplayFail;
}

// RFC 3711 §4.1.1: (salt << 16) XOR (SSRC << 64) XOR (index << 16), for SRTP (48-bit packet
// index) and SRTCP (31-bit SRTCP index) alike.
std::array<uint8_t, AesCounterMode::kIvSize> counter_iv(const std::array<uint8_t, 14>& salt, uint32_t ssrc,
                                                        uint64_t index) {
  std::array<uint8_t, AesCounterMode::kIvSize> iv{};
  std::copy(salt.begin(), salt.end(), iv.begin());
  uint8_t mix[AesCounterMode::kIvSize] = {};
  store_be32(mix + 4, ssrc);
  store_be64(mix + 8, index << 16);
  for (size_t i = 0; i < iv.size(); ++i) iv[i] ^= mix[i];
  return iv;
}

// RFC 7714 §8.1 (SRTP): 00 00 || SSRC || ROC || SEQ, XOR the 12-byte salt; §9.1 (SRTCP):
// 00 00 || SSRC || 00 00 || 0 || SRTCP index. Both are "SSRC at 2, a 48-bit value at 6".
std::array<uint8_t, AesGcm::kIvSize> gcm_iv(const std::array<uint8_t, 14>& salt, uint32_t ssrc,
                                            uint64_t low48) {
  std::array<uint8_t, AesGcm::kIvSize> iv{};
  store_be32(iv.data() + 2, ssrc);
  store_be16(iv.data() + 6, static_cast<uint16_t>(low48 >> 32));
  store_be32(iv.data() + 8, static_cast<uint32_t>(low48));
  for (size_t i = 0; i < iv.size(); ++i) iv[i] ^= salt[i];
  return iv;
}

}  // namespace

std::unique_ptr<OpensslSrtp> OpensslSrtp::create(SrtpProfile profile, ByteSpan key_and_salt, bool outbound,
                                                 std::string* error) {
  std::optional<SrtpSessionKeys> keys = derive_srtp_session_keys(profile, key_and_salt);
  if (!keys) {
    if (error != nullptr) *error = "SRTP key derivation failed";
    return nullptr;
  }
  return create(profile, *keys, outbound, error);
}

std::unique_ptr<OpensslSrtp> OpensslSrtp::create(SrtpProfile profile, const SrtpSessionKeys& keys,
                                                 bool outbound, std::string* error) {
  std::unique_ptr<OpensslSrtp> session(new OpensslSrtp(profile));
  auto key_up = [&](Crypto& crypto, const SrtpKeys& derived, size_t tag_size) {
    std::copy(derived.salt.begin(), derived.salt.end(), crypto.salt.begin());
    crypto.tag_size = tag_size;
    if (session->aead_) return crypto.gcm.init(derived.encryption_key(), outbound);
    crypto.hmac.init(derived.authentication);
    return crypto.ctr.init(derived.encryption_key());
  };
  if (!key_up(session->rtp_, keys.rtp, srtp_rtp_tag_length(profile)) ||
      !key_up(session->rtcp_, keys.rtcp, srtp_rtcp_tag_length(profile))) {
    if (error != nullptr) *error = "OpenSSL refused the SRTP session keys";
    return nullptr;
  }
  return session;
}

bool OpensslSrtp::seal_rtp(uint8_t* buf, size_t header, size_t payload, uint64_t index) {
  const uint32_t ssrc = load_be32(buf + 8);
  uint8_t* tag = buf + header + payload;
  if (aead_) {
    return rtp_.gcm.seal(gcm_iv(rtp_.salt, ssrc, index), ByteSpan(buf, header), {}, buf + header, payload,
                         tag);
  }
  if (!rtp_.ctr.apply(counter_iv(rtp_.salt, ssrc, index), buf + header, payload)) return false;
  // The tag covers the whole packet followed by the ROC (RFC 3711 §4.2).
  uint8_t roc[4];
  store_be32(roc, static_cast<uint32_t>(index >> 16));
  uint8_t digest[HmacSha1::kDigestSize];
  rtp_.hmac.compute(ByteSpan(buf, header + payload), roc, digest);
  std::copy(digest, digest + rtp_.tag_size, tag);
  return true;
}

bool OpensslSrtp::open_rtp(uint8_t* buf, size_t header, size_t payload, uint64_t index) {
  const uint32_t ssrc = load_be32(buf + 8);
  const uint8_t* tag = buf + header + payload;
  if (aead_) {
    return rtp_.gcm.open(gcm_iv(rtp_.salt, ssrc, index), ByteSpan(buf, header), {}, buf + header, payload,
                         tag);
  }
  uint8_t roc[4];
  store_be32(roc, static_cast<uint32_t>(index >> 16));
  uint8_t digest[HmacSha1::kDigestSize];
  rtp_.hmac.compute(ByteSpan(buf, header + payload), roc, digest);
  if (CRYPTO_memcmp(digest, tag, rtp_.tag_size) != 0) return false;
  return rtp_.ctr.apply(counter_iv(rtp_.salt, ssrc, index), buf + header, payload);
}

SrtpError OpensslSrtp::protect_rtp(uint8_t* buf, size_t& len) {
  const size_t header = rtp_header_length(buf, len);
  if (header == 0) return SrtpError::BadInput;
  const uint32_t ssrc = load_be32(buf + 8);
  SrtpStreamState* stream = streams_.find(ssrc);
  if (stream == nullptr) stream = &streams_.insert(ssrc, SrtpStreamState{});
  SrtpReplayWindow::Estimate estimate = stream->rtp.estimate(load_be16(buf + 2));
  // A sequence number sent before may go again (a retransmission), unless it left the window.
  ReplayCheck check = stream->rtp.check(estimate.delta);
  if (check == ReplayCheck::Old) return SrtpError::ReplayOld;
  if (check == ReplayCheck::Ok) stream->rtp.add(estimate);
  if (!seal_rtp(buf, header, len - header, estimate.index)) return SrtpError::Other;
  len += rtp_.tag_size;
  return SrtpError::Ok;
}

SrtpError OpensslSrtp::unprotect_rtp(uint8_t* buf, size_t& len) {
  const size_t header = rtp_header_length(buf, len);
  if (header == 0) return SrtpError::BadInput;
  const uint32_t ssrc = load_be32(buf + 8);
  const uint16_t seq = load_be16(buf + 2);
  SrtpStreamState* stream = streams_.find(ssrc);
  // A new SSRC's first packet: its index is its sequence number (ROC 0), nothing to replay yet.
  SrtpReplayWindow::Estimate estimate{seq, seq};
  if (stream != nullptr) {
    estimate = stream->rtp.estimate(seq);
    ReplayCheck check = stream->rtp.check(estimate.delta);
    if (check != ReplayCheck::Ok) return replay_error(check);
  }
  if (len - rtp_.tag_size < header) return SrtpError::BadInput;  // the header runs into the tag
  if (!open_rtp(buf, header, len - rtp_.tag_size - header, estimate.index)) return SrtpError::AuthFail;
  if (stream == nullptr) stream = &streams_.insert(ssrc, SrtpStreamState{});
  stream->rtp.add(estimate);
  len -= rtp_.tag_size;
  return SrtpError::Ok;
}

SrtpError OpensslSrtp::protect_rtcp(uint8_t* buf, size_t& len) {
  const uint32_t ssrc = load_be32(buf + 4);
  SrtpStreamState* stream = streams_.find(ssrc);
  if (stream == nullptr) stream = &streams_.insert(ssrc, SrtpStreamState{});
  if (stream->rtcp_index >= SrtcpReplayWindow::kMaxIndex) return SrtpError::Other;  // keys exhausted
  const uint32_t index = ++stream->rtcp_index;
  uint8_t trailer[kSrtcpTrailer];
  store_be32(trailer, kEncryptedFlag | index);
  uint8_t* body = buf + kRtcpHeader;
  const size_t body_size = len - kRtcpHeader;
  if (aead_) {
    // RFC 7714 §9: header || ciphertext || tag || E+index; the AAD is the header and E+index.
    uint8_t* tag = buf + len;
    if (!rtcp_.gcm.seal(gcm_iv(rtcp_.salt, ssrc, index), ByteSpan(buf, kRtcpHeader), trailer, body, body_size,
                        tag))
      return SrtpError::Other;
    std::copy(trailer, trailer + kSrtcpTrailer, tag + AesGcm::kTagSize);
    len += AesGcm::kTagSize + kSrtcpTrailer;
    return SrtpError::Ok;
  }
  // RFC 3711 §3.4: header || ciphertext || E+index || tag; the tag covers all before it.
  if (!rtcp_.ctr.apply(counter_iv(rtcp_.salt, ssrc, index), body, body_size)) return SrtpError::Other;
  std::copy(trailer, trailer + kSrtcpTrailer, buf + len);
  uint8_t digest[HmacSha1::kDigestSize];
  rtcp_.hmac.compute(ByteSpan(buf, len + kSrtcpTrailer), {}, digest);
  std::copy(digest, digest + rtcp_.tag_size, buf + len + kSrtcpTrailer);
  len += kSrtcpTrailer + rtcp_.tag_size;
  return SrtpError::Ok;
}

bool OpensslSrtp::open_rtcp(uint8_t* buf, size_t protected_size, const uint8_t* trailer, bool encrypted,
                            uint32_t index) {
  const uint32_t ssrc = load_be32(buf + 4);
  uint8_t* body = buf + kRtcpHeader;
  const size_t body_size = protected_size - kRtcpHeader;
  if (aead_) {
    const uint8_t* tag = buf + protected_size;
    const ByteSpan index_aad(trailer, kSrtcpTrailer);
    // RFC 7714 §9.3: unencrypted (E = 0), the whole packet is AAD and only the tag is checked.
    if (!encrypted)
      return rtcp_.gcm.open(gcm_iv(rtcp_.salt, ssrc, index), ByteSpan(buf, protected_size), index_aad,
                            nullptr, 0, tag);
    return rtcp_.gcm.open(gcm_iv(rtcp_.salt, ssrc, index), ByteSpan(buf, kRtcpHeader), index_aad, body,
                          body_size, tag);
  }
  uint8_t digest[HmacSha1::kDigestSize];
  rtcp_.hmac.compute(ByteSpan(buf, protected_size + kSrtcpTrailer), {}, digest);
  if (CRYPTO_memcmp(digest, trailer + kSrtcpTrailer, rtcp_.tag_size) != 0) return false;
  return rtcp_.ctr.apply(counter_iv(rtcp_.salt, ssrc, index), body, body_size);
}

SrtpError OpensslSrtp::unprotect_rtcp(uint8_t* buf, size_t& len) {
  const uint32_t ssrc = load_be32(buf + 4);
  SrtpStreamState* stream = streams_.find(ssrc);
  const size_t protected_size = len - rtcp_.tag_size - kSrtcpTrailer;  // header + body
  // E+index: last for GCM (after the tag), before the tag for AES-CM.
  const uint8_t* trailer = aead_ ? buf + len - kSrtcpTrailer : buf + protected_size;
  const uint32_t trailer_value = load_be32(trailer);
  const bool encrypted = (trailer_value & kEncryptedFlag) != 0;
  const uint32_t index = trailer_value & ~kEncryptedFlag;
  // AES-CM: libsrtp refuses an unencrypted packet under an encrypting policy before anything else
  // (srtp_err_status_cant_check); to the caller it is a forged packet.
  if (!aead_ && !encrypted) return SrtpError::AuthFail;
  const SrtcpReplayWindow fresh;
  ReplayCheck check = (stream != nullptr ? stream->rtcp : fresh).check(index);
  if (check != ReplayCheck::Ok) return replay_error(check);
  if (!open_rtcp(buf, protected_size, trailer, encrypted, index)) return SrtpError::AuthFail;
  if (stream == nullptr) stream = &streams_.insert(ssrc, SrtpStreamState{});
  stream->rtcp.add(index);
  len = protected_size;
  return SrtpError::Ok;
}

}  // namespace sfu::rtp
