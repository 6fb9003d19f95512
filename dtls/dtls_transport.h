// DTLS 1.2 for one ICE transport (RFC 5764 DTLS-SRTP, RFC 8827 WebRTC security), on
// OpenSSL with memory BIOs. It owns no socket and no timer: the owner feeds received
// DTLS datagrams to handle_packet(), sends what callbacks.send gets, and calls
// handle_timeout() at next_timeout_ms(). Time is the owner's monotonic clock in ms.
//
// The handshake deadline runs purely on the owner's clock. Retransmission timing is
// kept by OpenSSL on the real clock (OpenSSL 3.0 offers no way to inject time):
// next_timeout_ms() maps OpenSSL's remaining time onto the owner's clock, and
// handle_timeout() retransmits only once that real time has passed. With a loop clock
// such as uv_now() the two agree.
//
// Security model: certificates are self-signed, so the peer is authenticated by its
// certificate's fingerprint from the signaled SDP. No keys are exported, and on_connected
// is never called, unless the peer's certificate matches set_remote_fingerprint().
//
// Callbacks run synchronously inside the calls above. They may call
// send_application_data() and close(), but must not destroy the transport or feed it
// packets; queue such work for later.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "dtls/dtls_certificate.h"
#include "rtp/srtp_profile.h"

namespace sfu::dtls {

enum class DtlsRole { Client, Server };
enum class DtlsState { New, Connecting, Connected, Failed, Closed };

const char* dtls_state_name(DtlsState state);

// The SRTP master keys of one DTLS-SRTP association (RFC 5764 §4.2), already split by
// our role: local is what we protect with, remote what we unprotect with. Each is the
// master key followed by the master salt, srtp_key_salt_length(profile) bytes.
struct SrtpKeys {
  rtp::SrtpProfile profile;
  std::vector<uint8_t> local_key_salt;
  std::vector<uint8_t> remote_key_salt;
};

struct DtlsCallbacks {
  std::function<void(ByteSpan datagram)> send;             // one UDP datagram to the peer
  std::function<void(const SrtpKeys& keys)> on_connected;  // once, after the fingerprint check
  std::function<void(std::string_view reason)> on_failed;  // once; the transport is dead
  std::function<void(ByteSpan data)> on_application_data;  // decrypted records (SCTP)
  std::function<void()> on_closed;                         // optional: peer sent close_notify
};

class DtlsTransport {
 public:
  static constexpr uint64_t kDefaultHandshakeTimeoutMs = 30'000;
  static constexpr uint32_t kDefaultInitialRetransmitMs = 1'000;  // RFC 6347 §4.2.4.1
  static constexpr uint32_t kMaxRetransmitMs = 60'000;
  // Largest datagram we send: fits IPv6 minimum MTU with room for UDP/IP and TURN headers.
  static constexpr size_t kMtu = 1200;

  // profiles is our preference order (as a server it decides; as a client the server does).
  DtlsTransport(std::shared_ptr<DtlsCertificate> local_certificate, DtlsRole role, DtlsCallbacks callbacks,
                std::vector<rtp::SrtpProfile> profiles = {rtp::SrtpProfile::AeadAes128Gcm,
                                                          rtp::SrtpProfile::AesCm128HmacSha1_80});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Settings; take effect for a handshake not yet started.
  void set_handshake_timeout_ms(uint64_t timeout_ms) { handshake_timeout_ms_ = timeout_ms; }
  // First retransmission timeout; it doubles on each retransmission up to kMaxRetransmitMs.
  void set_initial_retransmit_ms(uint32_t timeout_ms) { initial_retransmit_ms_ = timeout_ms; }

  // From the peer's SDP: a=fingerprint:<algorithm> <fingerprint>, e.g. "sha-256" and
  // "AB:CD:...". Both case-insensitive. Must be set before the handshake completes.
  void set_remote_fingerprint(std::string algorithm, std::string fingerprint);

  // A client sends its ClientHello; a server waits for one. A packet received before
  // start() starts the transport implicitly.
  void start(uint64_t now_ms);

  // One received DTLS datagram (first byte 20..63, RFC 7983).
  void handle_packet(ByteSpan datagram, uint64_t now_ms);

  // When handle_timeout() is next due (absolute, in the clock of now_ms), or nullopt when
  // nothing is pending. Recompute after every call into the transport.
  std::optional<uint64_t> next_timeout_ms() const;
  // Retransmits the last flight if its timer expired; fails the handshake on timeout.
  void handle_timeout(uint64_t now_ms);

  // Sends one application-data record (Connected only). False if not sent.
  bool send_application_data(ByteSpan data);

  // Sends close_notify (if a handshake was under way or done) and moves to Closed.
  void close();

  DtlsState state() const { return state_; }
  DtlsRole role() const { return role_; }
  std::optional<rtp::SrtpProfile> selected_profile() const { return selected_profile_; }
  const std::string& failure_reason() const { return failure_reason_; }
  // The peer certificate's SHA-256 fingerprint once the handshake has seen it.
  const std::string& remote_certificate_fingerprint() const { return peer_fingerprint_sha256_; }
  // Datagrams discarded before OpenSSL saw them (forged undersized encrypted records).
  uint64_t dropped_datagrams() const { return dropped_datagrams_; }

 private:
  struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  static int verify_peer_certificate(X509_STORE_CTX* store, void* arg);
  static unsigned int next_retransmit_us(SSL* ssl, unsigned int previous_us);

  bool has_undersized_encrypted_record(ByteSpan datagram) const;
  bool check_peer_fingerprint(X509* peer);
  void continue_handshake();
  void on_handshake_done();
  void read_application_data();
  void flush_outgoing();
  void fail(std::string reason);

  std::shared_ptr<DtlsCertificate> local_certificate_;
  DtlsRole role_;
  DtlsCallbacks callbacks_;
  std::vector<rtp::SrtpProfile> profiles_;

  std::unique_ptr<SSL, SslDeleter> ssl_;
  BIO* incoming_ = nullptr;  // owned by ssl_
  BIO* outgoing_ = nullptr;  // owned by ssl_
  std::string setup_error_;

  DtlsState state_ = DtlsState::New;
  std::string remote_fingerprint_algorithm_;
  std::string remote_fingerprint_;  // uppercase
  std::string peer_fingerprint_sha256_;
  std::string verify_failure_;  // set when our certificate check rejected the peer
  std::optional<rtp::SrtpProfile> selected_profile_;
  std::string failure_reason_;

  uint64_t handshake_timeout_ms_ = kDefaultHandshakeTimeoutMs;
  uint32_t initial_retransmit_ms_ = kDefaultInitialRetransmitMs;
  uint64_t handshake_deadline_ms_ = 0;
  uint64_t last_now_ms_ = 0;
  uint64_t dropped_datagrams_ = 0;

  std::vector<uint8_t> outgoing_buffer_;  // drained from outgoing_, reused
  std::vector<uint8_t> read_buffer_;      // one decrypted record, reused
};

}  // namespace sfu::dtls
