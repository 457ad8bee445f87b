/*
 * The sizes of a machine key registration's fields (docs/security.md, "Machine keys"):
 * shared by strata.efi, which sends them, and strata-server, which parses them.  What is
 * signed is session.h's (strata_session_reg_digest), with the session it opens.
 */
#ifndef STRATA_KEY_REG_H
#define STRATA_KEY_REG_H

#define STRATA_KEY_PUB_LEN 65      /**< uncompressed P-256 point */
#define STRATA_KEY_NONCE_LEN 16
#define STRATA_KEY_SIG_MAX 72      /**< longest DER ECDSA P-256 signature */

#endif /* STRATA_KEY_REG_H */
