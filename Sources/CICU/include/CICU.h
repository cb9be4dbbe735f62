// CICU: plain C functions over the few ICU calls charrnn needs.
//
// ICU's headers turn every function name into a versioned symbol through macros (ubrk_open is
// really ubrk_open_72), which Swift's importer does not expand. These wrappers are compiled
// against the system ICU, so Swift sees stable names only. Text is UTF-8 throughout, so Swift
// strings pass in and out without transcoding. Every function that can fail writes an ICU error
// code to *status (0 = success, negative = warning, positive = error); cicu_error_name describes
// it. Functions that write a string follow ICU's preflight contract: they return the full length
// and, when it exceeds capacity, set U_BUFFER_OVERFLOW_ERROR so the call can be repeated.
#ifndef CICU_H
#define CICU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ICU's U_BUFFER_OVERFLOW_ERROR.
#define CICU_BUFFER_OVERFLOW 15

/// What a break iterator finds: extended grapheme clusters, or words (UAX #29 plus ICU's
/// dictionaries for Chinese, Japanese, Thai and other scripts written without spaces).
typedef enum CICUBreakKind {
    CICUBreakCharacter = 0,
    CICUBreakWord = 1,
} CICUBreakKind;

typedef struct CICUBreaker CICUBreaker;

/// Opens a break iterator; locale "root" gives ICU's untailored rules. Returns NULL on failure.
CICUBreaker *cicu_breaker_open(CICUBreakKind kind, const char *locale, int32_t *status);
void cicu_breaker_close(CICUBreaker *breaker);

/// Writes the boundaries of the UTF-8 text[0 ..< length] (byte offsets, ascending, from 0 to
/// length inclusive) to out and returns how many. capacity must be at least length + 1. Returns
/// -1 on failure. The breaker keeps no reference to the text after the call.
int32_t cicu_breaker_boundaries(CICUBreaker *breaker, const char *text, int32_t length,
                                int32_t *out, int32_t capacity, int32_t *status);

/// 1 if the UTF-8 text is in NFC, 0 if not.
int32_t cicu_is_nfc(const char *text, int32_t length, int32_t *status);

/// Writes the NFC form of the UTF-8 src to dest and returns its length.
int32_t cicu_nfc(const char *src, int32_t length, char *dest, int32_t capacity, int32_t *status);

/// Writes the NFD form of the UTF-8 src to dest and returns its length.
int32_t cicu_nfd(const char *src, int32_t length, char *dest, int32_t capacity, int32_t *status);

/// Lowercases the UTF-8 src with the root locale's full case mapping.
int32_t cicu_to_lower(const char *src, int32_t length, char *dest, int32_t capacity,
                      int32_t *status);

/// ICU's name for an error code, such as "U_ILLEGAL_ARGUMENT_ERROR".
const char *cicu_error_name(int32_t status);

/// The linked ICU's version ("72.1") and the Unicode version it implements ("15.0").
void cicu_versions(char *icu, char *unicode, int32_t capacity);

#ifdef __cplusplus
}
#endif

#endif
