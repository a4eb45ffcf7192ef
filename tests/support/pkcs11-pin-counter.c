/*
 * A PKCS#11 module that gives SoftHSM2 a card's PIN counter, for the card helper's tests.
 *
 * A real IC card or My Number card counts wrong PINs and locks, and says so through the token's
 * flags (CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED). SoftHSM2 counts
 * nothing: it sets COUNT_LOW after a wrong PIN and never locks. This module wraps it: every call
 * goes to SoftHSM2 unchanged but C_Login (refused with CKR_PIN_LOCKED once the tries are spent)
 * and C_GetTokenInfo (its flags say what is left). The count is kept in a file per token, as a
 * card keeps it on its chip, so it outlives the process that read the card.
 *
 *   PIN_COUNTER_MODULE  the module it wraps (SoftHSM2's libsofthsm2.so)
 *   PIN_COUNTER_DIR     where the counts are kept (one file per token serial number)
 *   PIN_COUNTER_TRIES   tries of a token that is not a My Number card's (default 5); the My
 *                       Number card's are J-LIS's: 3 for the user-authentication PIN, 5 for the
 *                       signing PIN, by the token labels OpenSC gives them.
 *
 * Built by tests/support/softhsm.ts with the machine's C compiler and pkcs11js's headers.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkcs11/pkcs11.h"

static CK_FUNCTION_LIST wrapped;
static CK_FUNCTION_LIST_PTR inner = NULL;

static void token_key(const CK_TOKEN_INFO *info, char *path, size_t size) {
  char serial[17];
  memcpy(serial, info->serialNumber, 16);
  serial[16] = '\0';
  for (int i = 15; i >= 0 && serial[i] == ' '; i--) serial[i] = '\0';
  const char *dir = getenv("PIN_COUNTER_DIR");
  snprintf(path, size, "%s/%s", dir ? dir : "/tmp", serial);
}

static int starts_with(const CK_UTF8CHAR *label, const char *prefix) {
  return strncmp((const char *)label, prefix, strlen(prefix)) == 0;
}

static long tries_of(const CK_TOKEN_INFO *info) {
  if (starts_with(info->label, "JPKI (User Authentication PIN)")) return 3;
  if (starts_with(info->label, "JPKI (Digital Signature PIN)")) return 5;
  const char *tries = getenv("PIN_COUNTER_TRIES");
  return tries ? atol(tries) : 5;
}

static long wrong_count(const CK_TOKEN_INFO *info) {
  char path[512];
  token_key(info, path, sizeof path);
  FILE *f = fopen(path, "r");
  long count = 0;
  if (f) {
    if (fscanf(f, "%ld", &count) != 1) count = 0;
    fclose(f);
  }
  return count;
}

static void set_wrong_count(const CK_TOKEN_INFO *info, long count) {
  char path[512];
  token_key(info, path, sizeof path);
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%ld\n", count);
    fclose(f);
  }
}

static CK_RV counted_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  CK_RV rv = inner->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;
  long left = tries_of(info) - wrong_count(info);
  info->flags &= ~(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
  if (left < tries_of(info)) info->flags |= CKF_USER_PIN_COUNT_LOW;
  if (left == 1) info->flags |= CKF_USER_PIN_FINAL_TRY;
  if (left <= 0) info->flags |= CKF_USER_PIN_LOCKED;
  return CKR_OK;
}

static CK_RV counted_login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG length) {
  if (user != CKU_USER) return inner->C_Login(session, user, pin, length);
  CK_SESSION_INFO session_info;
  CK_TOKEN_INFO info;
  CK_RV rv = inner->C_GetSessionInfo(session, &session_info);
  if (rv != CKR_OK) return rv;
  rv = inner->C_GetTokenInfo(session_info.slotID, &info);
  if (rv != CKR_OK) return rv;
  long count = wrong_count(&info);
  if (count >= tries_of(&info)) return CKR_PIN_LOCKED;
  rv = inner->C_Login(session, user, pin, length);
  if (rv == CKR_PIN_INCORRECT) set_wrong_count(&info, count + 1);
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) set_wrong_count(&info, 0);
  return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!inner) {
    const char *path = getenv("PIN_COUNTER_MODULE");
    void *library = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!library) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(library, "C_GetFunctionList");
    if (!get || get(&inner) != CKR_OK) return CKR_GENERAL_ERROR;
    wrapped = *inner;
    wrapped.C_GetTokenInfo = counted_get_token_info;
    wrapped.C_Login = counted_login;
  }
  *list = &wrapped;
  return CKR_OK;
}
