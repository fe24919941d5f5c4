// A fresh Ed25519 key pair in PEM for tests (OpenSSL), as Binance's key generator makes them:
// the private key PKCS#8, the public key SubjectPublicKeyInfo.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

namespace be::test {

struct Ed25519Pair {
  std::string private_pem;
  std::string public_pem;
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

inline Ed25519Pair make_ed25519_pair() {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_keygen(ctx, &key);
  EVP_PKEY_CTX_free(ctx);
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  EVP_PKEY_free(key);
  return {bio_text(priv), bio_text(pub)};
}

}  // namespace be::test
