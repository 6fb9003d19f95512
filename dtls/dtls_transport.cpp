#include "dtls/dtls_transport.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <utility>

namespace sfu::dtls {
namespace {

// ECDHE (forward secrecy) with AEAD only. Every browser offers these (RFC 8827 requires
// ECDHE-ECDSA-AES128-GCM-SHA256). CBC suites are left out on purpose: OpenSSL 3.0's DTLS
// answers a CBC record with a bad MAC with a fatal alert instead of discarding it, so a
// single forged datagram would tear the association down.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr const char* kSrtpExporterLabel = "EXTRACTOR-dtls_srtp";  // RFC 5764 §4.2
constexpr size_t kDtlsRecordHeaderSize = 13;
constexpr size_t kMaxRecordPlaintext = 16384;  // 2^14, RFC 6347 §4.1
// Smallest possible encrypted record body: AES-GCM's 8-byte explicit nonce plus 16-byte
// tag; ChaCha20-Poly1305 has no explicit nonce, just the tag.
constexpr size_t kMinGcmRecordBody = 8 + 16;
constexpr size_t kMinChachaRecordBody = 16;

std::string take_openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

std::string to_upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// OpenSSL calls this during X.509 path building if nothing replaced it; our
// cert_verify_callback does replace it, so this only documents that self-signed
// certificates are fine here: the real check is the fingerprint.
int accept_self_signed(int, X509_STORE_CTX*) { return 1; }

// True when OpenSSL stopped because it needs the next datagram, i.e. nothing is wrong.
// Judged from the SSL's own state rather than SSL_get_error(), which consults this
// thread's error queue first, so a stale entry there (left by anything that ran on the
// thread) would turn a healthy wait into a fatal error. A genuine fatal error happens
// after a successful read, so the SSL is not "reading" then.
bool waiting_for_input(SSL* ssl) { return SSL_want_read(ssl) && BIO_should_read(SSL_get_rbio(ssl)); }

struct SharedContext {
  SSL_CTX* ctx = nullptr;
  std::string error;
};

// One SSL_CTX for every transport of every thread: it carries only policy (protocol
// versions, ciphers, verification); certificates, SRTP profiles and MTU are set per
// SSL. SSL_CTX is reference counted and safe to share across threads. It lives for the
// whole process on purpose (no destruction-order games with OpenSSL's atexit cleanup).
SharedContext create_shared_context(int (*verify)(X509_STORE_CTX*, void*)) {
  SharedContext shared;
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (ctx == nullptr) {
    shared.error = "SSL_CTX_new failed: " + take_openssl_error();
    return shared;
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_cipher_list(ctx, kCipherList) == 1 && SSL_CTX_set1_groups_list(ctx, kGroups) == 1;
  if (!ok) {
    shared.error = "configuring the DTLS context failed: " + take_openssl_error();
    SSL_CTX_free(ctx);
    return shared;
  }
  // No resumption (each WebRTC association is a fresh full handshake), no renegotiation,
  // and MTU comes from us, not from querying a socket we do not have.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_self_signed);
  SSL_CTX_set_cert_verify_callback(ctx, verify, nullptr);
  shared.ctx = ctx;
  return shared;
}

}  // namespace

const char* dtls_state_name(DtlsState state) {
  switch (state) {
    case DtlsState::New:
      return "new";
    case DtlsState::Connecting:
      return "connecting";
    case DtlsState::Connected:
      return "connected";
    case DtlsState::Failed:
      return "failed";
    case DtlsState::Closed:
      return "closed";
  }
  return "unknown";
}

DtlsTransport::DtlsTransport(std::shared_ptr<DtlsCertificate> local_certificate, DtlsRole role,
                             DtlsCallbacks callbacks, std::vector<rtp::SrtpProfile> profiles)
    : local_certificate_(std::move(local_certificate)),
      role_(role),
      callbacks_(std::move(callbacks)),
      profiles_(std::move(profiles)) {
  static const SharedContext shared = create_shared_context(&DtlsTransport::verify_peer_certificate);
  if (shared.ctx == nullptr) {
    setup_error_ = shared.error;
    return;
  }
  if (!local_certificate_) {
    setup_error_ = "no local certificate";
    return;
  }
  if (profiles_.empty()) {
    setup_error_ = "no SRTP profile configured";
    return;
  }
  std::string profile_list;
  for (rtp::SrtpProfile profile : profiles_) {
    if (!profile_list.empty()) profile_list += ':';
    profile_list += rtp::srtp_profile_openssl_name(profile);
  }

  ERR_clear_error();
  ssl_.reset(SSL_new(shared.ctx));
  if (!ssl_) {
    setup_error_ = "SSL_new failed: " + take_openssl_error();
    return;
  }
  SSL* ssl = ssl_.get();
  SSL_set_app_data(ssl, this);
  bool ok = SSL_use_certificate(ssl, local_certificate_->x509()) == 1 &&
            SSL_use_PrivateKey(ssl, local_certificate_->private_key()) == 1 &&
            // Unlike everything else here, this one returns 0 on success.
            SSL_set_tlsext_use_srtp(ssl, profile_list.c_str()) == 0;
  if (!ok) {
    setup_error_ = "configuring the DTLS session failed: " + take_openssl_error();
    ssl_.reset();
    return;
  }
  incoming_ = BIO_new(BIO_s_mem());
  outgoing_ = BIO_new(BIO_s_mem());
  if (incoming_ == nullptr || outgoing_ == nullptr) {
    BIO_free(incoming_);
    BIO_free(outgoing_);
    incoming_ = outgoing_ = nullptr;
    setup_error_ = "out of memory";
    ssl_.reset();
    return;
  }
  // An empty memory BIO reads as "try again", not end of file.
  BIO_set_mem_eof_return(incoming_, -1);
  BIO_set_mem_eof_return(outgoing_, -1);
  SSL_set_bio(ssl, incoming_, outgoing_);
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl, kMtu);
  DTLS_set_timer_cb(ssl, &DtlsTransport::next_retransmit_us);
  if (role_ == DtlsRole::Client) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  read_buffer_.resize(kMaxRecordPlaintext);
}

DtlsTransport::~DtlsTransport() = default;

void DtlsTransport::set_remote_fingerprint(std::string algorithm, std::string fingerprint) {
  remote_fingerprint_algorithm_ = to_lower(std::move(algorithm));
  remote_fingerprint_ = to_upper(std::move(fingerprint));
}

void DtlsTransport::start(uint64_t now_ms) {
  if (state_ != DtlsState::New) return;
  last_now_ms_ = now_ms;
  state_ = DtlsState::Connecting;
  if (!ssl_) {
    fail(setup_error_);
    return;
  }
  handshake_deadline_ms_ = now_ms + handshake_timeout_ms_;
  if (role_ == DtlsRole::Client) continue_handshake();
}

void DtlsTransport::handle_packet(ByteSpan datagram, uint64_t now_ms) {
  if (state_ == DtlsState::New) start(now_ms);
  if (state_ != DtlsState::Connecting && state_ != DtlsState::Connected) return;
  last_now_ms_ = now_ms;
  if (datagram.empty() || datagram.size() > INT_MAX) return;
  if (has_undersized_encrypted_record(datagram)) {
    ++dropped_datagrams_;
    return;
  }

  if (BIO_write(incoming_, datagram.data(), static_cast<int>(datagram.size())) !=
      static_cast<int>(datagram.size())) {
    ERR_clear_error();
    return;
  }
  if (state_ == DtlsState::Connecting) {
    continue_handshake();
  } else {
    read_application_data();
  }
  // Each datagram stands alone: whatever OpenSSL did not consume (a bad record it gave
  // up on) must not be glued to the front of the next one.
  if (incoming_ != nullptr) (void)BIO_reset(incoming_);
}

std::optional<uint64_t> DtlsTransport::next_timeout_ms() const {
  if (state_ != DtlsState::Connecting || !ssl_) return std::nullopt;
  uint64_t due = handshake_deadline_ms_;
  timeval left{};
  // OpenSSL keeps the retransmission timer on its own clock and reports time left.
  if (DTLSv1_get_timeout(ssl_.get(), &left) == 1) {
    uint64_t left_ms =
        static_cast<uint64_t>(left.tv_sec) * 1000 + (static_cast<uint64_t>(left.tv_usec) + 999) / 1000;
    due = std::min(due, last_now_ms_ + left_ms);
  }
  return due;
}

void DtlsTransport::handle_timeout(uint64_t now_ms) {
  if (state_ != DtlsState::Connecting || !ssl_) return;
  last_now_ms_ = now_ms;
  if (now_ms >= handshake_deadline_ms_) {
    fail("handshake timeout");
    return;
  }
  ERR_clear_error();
  int result = DTLSv1_handle_timeout(ssl_.get());
  flush_outgoing();
  if (result < 0) fail("handshake failed: " + take_openssl_error());
}

bool DtlsTransport::send_application_data(ByteSpan data) {
  if (state_ != DtlsState::Connected || data.empty() || data.size() > kMaxRecordPlaintext) return false;
  ERR_clear_error();
  int written = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
  int error = written > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), written);
  flush_outgoing();
  if (written == static_cast<int>(data.size())) return true;
  if (error == SSL_ERROR_SSL || error == SSL_ERROR_SYSCALL) {
    fail("DTLS write failed: " + take_openssl_error());
  }
  ERR_clear_error();
  return false;
}

void DtlsTransport::close() {
  if (state_ == DtlsState::Failed || state_ == DtlsState::Closed) return;
  // OpenSSL only sends close_notify once the handshake is done; an unfinished one just
  // stops (the peer times out).
  if (ssl_ && SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    flush_outgoing();
  }
  state_ = DtlsState::Closed;
}

int DtlsTransport::verify_peer_certificate(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl != nullptr ? static_cast<DtlsTransport*>(SSL_get_app_data(ssl)) : nullptr;
  X509* peer = X509_STORE_CTX_get0_cert(store);
  if (self == nullptr || peer == nullptr) return 0;
  // Not signaled yet: let the handshake go on, on_handshake_done() checks again and
  // fails if the fingerprint is still missing then.
  if (self->remote_fingerprint_.empty()) {
    self->peer_fingerprint_sha256_ = fingerprint_sha256_of(peer);
    return 1;
  }
  if (self->check_peer_fingerprint(peer)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;  // OpenSSL aborts the handshake with a bad_certificate alert
}

unsigned int DtlsTransport::next_retransmit_us(SSL* ssl, unsigned int previous_us) {
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  uint64_t initial_ms = self != nullptr ? self->initial_retransmit_ms_ : kDefaultInitialRetransmitMs;
  initial_ms = std::clamp<uint64_t>(initial_ms, 1, kMaxRetransmitMs);
  uint64_t next_us = previous_us == 0 ? initial_ms * 1000 : uint64_t{previous_us} * 2;
  return static_cast<unsigned int>(std::min<uint64_t>(next_us, uint64_t{kMaxRetransmitMs} * 1000));
}

// OpenSSL 3.0 answers an encrypted record too short to hold its AEAD nonce and tag with
// a fatal internal_error alert instead of discarding it as DTLS requires (RFC 6347
// §4.1.2.7), so one forged datagram could kill the association. No genuine peer sends
// such a record; drop the datagram before OpenSSL sees it.
bool DtlsTransport::has_undersized_encrypted_record(ByteSpan datagram) const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  const size_t min_body = cipher != nullptr && SSL_CIPHER_get_cipher_nid(cipher) == NID_chacha20_poly1305
                              ? kMinChachaRecordBody
                              : kMinGcmRecordBody;
  size_t offset = 0;
  while (datagram.size() - offset >= kDtlsRecordHeaderSize) {
    const uint8_t* header = datagram.data() + offset;
    const uint16_t epoch = load_be16(header + 3);
    const size_t body = load_be16(header + 11);
    if (epoch != 0 && body < min_body) return true;
    if (body > datagram.size() - offset - kDtlsRecordHeaderSize) break;  // OpenSSL drops it
    offset += kDtlsRecordHeaderSize + body;
  }
  return false;
}

bool DtlsTransport::check_peer_fingerprint(X509* peer) {
  peer_fingerprint_sha256_ = fingerprint_sha256_of(peer);
  if (remote_fingerprint_.empty()) {
    verify_failure_ = "no remote fingerprint";
    return false;
  }
  std::optional<std::string> actual = fingerprint_of(peer, remote_fingerprint_algorithm_);
  if (!actual) {
    verify_failure_ = "unsupported fingerprint algorithm " + remote_fingerprint_algorithm_;
    return false;
  }
  if (*actual != remote_fingerprint_) {
    verify_failure_ = "fingerprint mismatch";
    return false;
  }
  return true;
}

void DtlsTransport::continue_handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_.get());
  bool waiting = result != 1 && waiting_for_input(ssl_.get());
  flush_outgoing();  // the next flight, or the alert telling the peer why we gave up
  if (result == 1) {
    on_handshake_done();
    if (state_ == DtlsState::Connected) read_application_data();
    return;
  }
  if (waiting) {
    ERR_clear_error();
    return;
  }
  if (!verify_failure_.empty()) {
    ERR_clear_error();
    fail(verify_failure_);
  } else if (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) {
    ERR_clear_error();
    fail("peer closed the connection during the handshake");
  } else {
    fail("handshake failed: " + take_openssl_error());
  }
}

void DtlsTransport::on_handshake_done() {
  SSL* ssl = ssl_.get();
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) {
    fail("peer sent no certificate");
    return;
  }
  if (!check_peer_fingerprint(peer)) {
    fail(verify_failure_);
    return;
  }
  const SRTP_PROTECTION_PROFILE* negotiated = SSL_get_selected_srtp_profile(ssl);
  std::optional<rtp::SrtpProfile> profile =
      negotiated != nullptr ? rtp::srtp_profile_from_dtls_id(negotiated->id) : std::nullopt;
  if (!profile || std::find(profiles_.begin(), profiles_.end(), *profile) == profiles_.end()) {
    fail("no SRTP profile negotiated");
    return;
  }

  // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt
  const size_t key_len = rtp::srtp_key_length(*profile);
  const size_t salt_len = rtp::srtp_salt_length(*profile);
  std::vector<uint8_t> material(2 * (key_len + salt_len));
  ERR_clear_error();
  if (SSL_export_keying_material(ssl, material.data(), material.size(), kSrtpExporterLabel,
                                 std::char_traits<char>::length(kSrtpExporterLabel), nullptr, 0, 0) != 1) {
    fail("exporting SRTP keys failed: " + take_openssl_error());
    return;
  }
  const uint8_t* client_key = material.data();
  const uint8_t* server_key = client_key + key_len;
  const uint8_t* client_salt = server_key + key_len;
  const uint8_t* server_salt = client_salt + salt_len;
  auto key_salt = [&](const uint8_t* key, const uint8_t* salt) {
    std::vector<uint8_t> out(key, key + key_len);
    out.insert(out.end(), salt, salt + salt_len);
    return out;
  };
  SrtpKeys keys{*profile, {}, {}};
  std::vector<uint8_t> client = key_salt(client_key, client_salt);
  std::vector<uint8_t> server = key_salt(server_key, server_salt);
  OPENSSL_cleanse(material.data(), material.size());
  if (role_ == DtlsRole::Client) {
    keys.local_key_salt = std::move(client);
    keys.remote_key_salt = std::move(server);
  } else {
    keys.local_key_salt = std::move(server);
    keys.remote_key_salt = std::move(client);
  }

  selected_profile_ = profile;
  state_ = DtlsState::Connected;
  if (callbacks_.on_connected) callbacks_.on_connected(keys);
  OPENSSL_cleanse(keys.local_key_salt.data(), keys.local_key_salt.size());
  OPENSSL_cleanse(keys.remote_key_salt.data(), keys.remote_key_salt.size());
}

void DtlsTransport::read_application_data() {
  while (state_ == DtlsState::Connected) {
    ERR_clear_error();
    int n = SSL_read(ssl_.get(), read_buffer_.data(), static_cast<int>(read_buffer_.size()));
    bool waiting = n <= 0 && waiting_for_input(ssl_.get());
    // Reading may write too: a retransmitted final flight, or an alert.
    flush_outgoing();
    if (n > 0) {
      if (callbacks_.on_application_data) {
        callbacks_.on_application_data(ByteSpan(read_buffer_.data(), static_cast<size_t>(n)));
      }
      continue;
    }
    if (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) {  // close_notify
      ERR_clear_error();
      state_ = DtlsState::Closed;
      if (callbacks_.on_closed) callbacks_.on_closed();
      return;
    }
    if (waiting) {
      ERR_clear_error();
      return;
    }
    fail("DTLS connection failed: " + take_openssl_error());
    return;
  }
}

void DtlsTransport::flush_outgoing() {
  if (outgoing_ == nullptr) return;
  size_t pending = BIO_ctrl_pending(outgoing_);
  if (pending == 0 || pending > INT_MAX) return;
  // Swapped out so that a send callback which (against the rules) re-enters us cannot
  // pull the buffer from under this loop.
  std::vector<uint8_t> buffer;
  buffer.swap(outgoing_buffer_);
  buffer.resize(pending);
  int read = BIO_read(outgoing_, buffer.data(), static_cast<int>(pending));
  size_t total = read > 0 ? static_cast<size_t>(read) : 0;

  // OpenSSL writes one record per BIO write and keeps each within the MTU; pack
  // consecutive records into datagrams up to the MTU (RFC 6347 §4.1.1 allows several
  // records per datagram), so a flight costs as few packets as possible.
  size_t datagram_start = 0;
  size_t offset = 0;
  while (offset < total) {
    size_t record_end = total;
    if (total - offset >= kDtlsRecordHeaderSize) {
      size_t record_size = kDtlsRecordHeaderSize + load_be16(buffer.data() + offset + 11);
      record_end = std::min(total, offset + record_size);
    }
    if (record_end - datagram_start > kMtu && offset > datagram_start) {
      if (callbacks_.send) callbacks_.send(ByteSpan(buffer.data() + datagram_start, offset - datagram_start));
      datagram_start = offset;
    }
    offset = record_end;
  }
  if (total > datagram_start && callbacks_.send) {
    callbacks_.send(ByteSpan(buffer.data() + datagram_start, total - datagram_start));
  }
  buffer.clear();
  if (outgoing_buffer_.capacity() < buffer.capacity()) outgoing_buffer_.swap(buffer);
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == DtlsState::Failed || state_ == DtlsState::Closed) return;
  bool established = ssl_ && SSL_is_init_finished(ssl_.get());
  state_ = DtlsState::Failed;
  failure_reason_ = std::move(reason);
  // A handshake OpenSSL completed but we rejected: tell the peer instead of leaving it
  // believing it is connected. (OpenSSL already sent an alert for its own failures.)
  if (established) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    flush_outgoing();
  }
  ERR_clear_error();
  if (callbacks_.on_failed) callbacks_.on_failed(failure_reason_);
}

}  // namespace sfu::dtls
