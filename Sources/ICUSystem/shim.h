// The system ICU, for the CICU wrappers. Swift never calls ICU directly: its function names are
// macros (ubrk_open is really ubrk_open_72) that only a C or C++ compiler expands.
#include <unicode/ubrk.h>
#include <unicode/ucasemap.h>
#include <unicode/utext.h>
#include <unicode/uversion.h>
