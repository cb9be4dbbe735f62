// C++ only where ICU's C API lacks a UTF-8 entry point (normalization); the rest is ICU's C API.
#include "CICU.h"

#include <cstdlib>
#include <cstring>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/ubrk.h>
#include <unicode/ucasemap.h>
#include <unicode/utext.h>
#include <unicode/uversion.h>

struct CICUBreaker {
    UBreakIterator *iterator;
    UText text;  // reused for every call: opening a UText over UTF-8 then allocates nothing
};

extern "C" CICUBreaker *cicu_breaker_open(CICUBreakKind kind, const char *locale, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UBreakIteratorType type = kind == CICUBreakWord ? UBRK_WORD : UBRK_CHARACTER;
    UBreakIterator *iterator = ubrk_open(type, locale, nullptr, 0, &error);
    *status = error;
    if (U_FAILURE(error)) return nullptr;
    auto *breaker = static_cast<CICUBreaker *>(std::malloc(sizeof(CICUBreaker)));
    if (breaker == nullptr) {
        ubrk_close(iterator);
        *status = U_MEMORY_ALLOCATION_ERROR;
        return nullptr;
    }
    breaker->iterator = iterator;
    breaker->text = UTEXT_INITIALIZER;
    return breaker;
}

extern "C" void cicu_breaker_close(CICUBreaker *breaker) {
    if (breaker == nullptr) return;
    ubrk_close(breaker->iterator);
    utext_close(&breaker->text);
    std::free(breaker);
}

extern "C" int32_t cicu_breaker_boundaries(CICUBreaker *breaker, const char *text, int32_t length,
                                           int32_t *out, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    if (text == nullptr) text = "";
    if (capacity < length + 1) {
        *status = U_ILLEGAL_ARGUMENT_ERROR;
        return -1;
    }
    utext_openUTF8(&breaker->text, text, length, &error);
    ubrk_setUText(breaker->iterator, &breaker->text, &error);
    *status = error;
    if (U_FAILURE(error)) return -1;
    int32_t count = 0;
    for (int32_t b = ubrk_first(breaker->iterator); b != UBRK_DONE && count < capacity;
         b = ubrk_next(breaker->iterator)) {
        out[count++] = b;
    }
    // Leave no reference to the caller's text inside the iterator.
    utext_openUTF8(&breaker->text, "", 0, &error);
    ubrk_setUText(breaker->iterator, &breaker->text, &error);
    return count;
}

static const icu::Normalizer2 *nfc(UErrorCode &error) {
    return icu::Normalizer2::getNFCInstance(error);
}

extern "C" int32_t cicu_is_nfc(const char *text, int32_t length, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2 *normalizer = nfc(error);
    if (text == nullptr) text = "";
    UBool yes = U_SUCCESS(error) && normalizer->isNormalizedUTF8(icu::StringPiece(text, length), error);
    *status = error;
    return yes ? 1 : 0;
}

// Writes normalizer's form of src to dest, with ICU's preflight contract.
static int32_t normalize_utf8(const icu::Normalizer2 *normalizer, UErrorCode error, const char *src,
                              int32_t length, char *dest, int32_t capacity, int32_t *status) {
    if (U_FAILURE(error)) {
        *status = error;
        return 0;
    }
    if (src == nullptr) src = "";
    icu::CheckedArrayByteSink sink(dest, capacity);
    normalizer->normalizeUTF8(0, icu::StringPiece(src, length), sink, nullptr, error);
    int32_t needed = sink.NumberOfBytesAppended();
    if (U_SUCCESS(error) && sink.Overflowed()) error = U_BUFFER_OVERFLOW_ERROR;
    *status = error;
    return needed;
}

extern "C" int32_t cicu_nfc(const char *src, int32_t length, char *dest, int32_t capacity,
                            int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2 *normalizer = nfc(error);
    return normalize_utf8(normalizer, error, src, length, dest, capacity, status);
}

extern "C" int32_t cicu_nfd(const char *src, int32_t length, char *dest, int32_t capacity,
                            int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2 *normalizer = icu::Normalizer2::getNFDInstance(error);
    return normalize_utf8(normalizer, error, src, length, dest, capacity, status);
}

extern "C" int32_t cicu_to_lower(const char *src, int32_t length, char *dest, int32_t capacity,
                                 int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    if (src == nullptr) src = "";
    UCaseMap *map = ucasemap_open("root", 0, &error);
    int32_t n = 0;
    if (U_SUCCESS(error)) n = ucasemap_utf8ToLower(map, dest, capacity, src, length, &error);
    ucasemap_close(map);
    *status = error;
    return n;
}

extern "C" const char *cicu_error_name(int32_t status) {
    return u_errorName(static_cast<UErrorCode>(status));
}

extern "C" void cicu_versions(char *icu, char *unicode, int32_t capacity) {
    UVersionInfo info;
    char text[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(info);
    u_versionToString(info, text);
    std::strncpy(icu, text, capacity - 1);
    icu[capacity - 1] = 0;
    u_getUnicodeVersion(info);
    u_versionToString(info, text);
    std::strncpy(unicode, text, capacity - 1);
    unicode[capacity - 1] = 0;
}
