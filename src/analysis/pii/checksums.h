// Validity rules of structured identifiers: card numbers (Luhn, issuer
// prefixes), IBANs (per-country length, ISO 7064 mod 97-10), US social
// security numbers (SSA area/group/serial rules).
#pragma once

#include <string_view>

namespace parley::analysis::pii {

// `digits` holds only '0'..'9'. True when the Luhn check digit is right.
bool LuhnValid(std::string_view digits);

// True when `digits` (only '0'..'9') starts with the issuer prefix of a card
// scheme that issues numbers of that length: Visa, Mastercard, American
// Express, Discover, Diners Club, JCB, UnionPay, Maestro, Mir, RuPay, Troy,
// UATP. Maestro's 12-digit numbers are included.
bool KnownCardPrefix(std::string_view digits);

// The IBAN length of a country (two letters, either case) in the SWIFT IBAN
// registry, or 0 when the country has no IBAN.
int IbanLength(std::string_view country);

// `iban` is an IBAN without separators, either case. True when its country,
// length, characters and mod-97 check digits are all right.
bool IbanValid(std::string_view iban);

// True when area-group-serial can be an issued SSN: area not 000, 666 or
// 900-999; group not 00; serial not 0000; and not one of the numbers the SSA
// voided after they were published (078-05-1120, 219-09-9999).
bool SsnValid(int area, int group, int serial);

}  // namespace parley::analysis::pii
