#include "net/server/tls_identity.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace be::net::server {

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

// The failing step and OpenSSL's own words for it (the error queue is drained so a later
// call does not report this failure as its own).
std::string openssl_error(std::string_view step) {
  std::string out(step);
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    out += first ? ": " : "; ";
    out += text;
    first = false;
  }
  return out;
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Expected<std::string, std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return Unexpected{std::string("empty PEM output")};
  return std::string(data, static_cast<std::size_t>(n));
}

Expected<std::string, std::string> read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected{"cannot open " + std::string(what) + " '" + path + "'"};
  std::ostringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) return Unexpected{"cannot read " + std::string(what) + " '" + path + "'"};
  return s.str();
}

}  // namespace

Expected<TlsIdentity, std::string> make_self_signed_identity(const SelfSignedOptions& options) {
  ERR_clear_error();
  const PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Unexpected{openssl_error("EC P-256 key generation")};
  const X509Ptr cert(X509_new());
  if (!cert) return Unexpected{openssl_error("X509_new")};
  // A random positive 63-bit serial: two identities made in one test must not share one.
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
    return Unexpected{openssl_error("RAND_bytes")};
  }
  serial = (serial >> 1) | 1;
  if (X509_set_version(cert.get(), 2) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86'400L * options.valid_days) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return Unexpected{openssl_error("certificate fields")};
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("botengine simulator"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return Unexpected{openssl_error("certificate name")};
  }
  // Host-name checks read subjectAltName only (RFC 6125); the CN is for humans.
  std::string san;
  for (const auto& dns : options.dns_names)
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : options.ip_addresses)
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  // CA:TRUE lets a client take this very certificate as its trust anchor.
  if ((!san.empty() && !add_extension(cert.get(), NID_subject_alt_name, san)) ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return Unexpected{openssl_error("certificate extensions")};
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Unexpected{openssl_error("certificate signature")};
  }
  const BioPtr cert_bio(BIO_new(BIO_s_mem())), key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return Unexpected{openssl_error("PEM encoding")};
  }
  auto cert_pem = bio_text(cert_bio.get());
  auto key_pem = bio_text(key_bio.get());
  if (!cert_pem) return Unexpected{cert_pem.error()};
  if (!key_pem) return Unexpected{key_pem.error()};
  return TlsIdentity{std::move(*cert_pem), std::move(*key_pem)};
}

Expected<TlsIdentity, std::string> load_tls_identity(const std::string& certificate_path,
                                                     const std::string& private_key_path) {
  auto cert = read_file(certificate_path, "TLS certificate");
  if (!cert) return Unexpected{cert.error()};
  auto key = read_file(private_key_path, "TLS private key");
  if (!key) return Unexpected{key.error()};
  if (cert->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Unexpected{"TLS certificate '" + certificate_path + "' holds no PEM certificate"};
  }
  if (key->find("PRIVATE KEY-----") == std::string::npos) {
    return Unexpected{"TLS private key '" + private_key_path + "' holds no PEM private key"};
  }
  return TlsIdentity{std::move(*cert), std::move(*key)};
}

}  // namespace be::net::server
