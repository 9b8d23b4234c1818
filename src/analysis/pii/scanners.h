// The individual scanners behind PiiDetector. Each appends candidate
// findings of its type to `out`, in any order and possibly overlapping other
// types' candidates; PiiDetector resolves overlaps. Each runs in time linear
// in the length of the text.
#pragma once

#include <string_view>
#include <vector>

#include "analysis/pii/pii_detector.h"
#include "analysis/pii/tokens.h"

namespace parley::analysis::pii {

class NameGazetteer;

void FindEmailAddresses(std::string_view text, std::vector<Finding>* out);
void FindCreditCardNumbers(std::string_view text, std::vector<Finding>* out);
void FindSocialSecurityNumbers(std::string_view text, std::vector<Finding>* out);
void FindIbans(std::string_view text, std::vector<Finding>* out);
void FindIpv4Addresses(std::string_view text, std::vector<Finding>* out);
void FindIpv6Addresses(std::string_view text, std::vector<Finding>* out);
void FindPhoneNumbers(std::string_view text, std::vector<Finding>* out);
void FindDatesOfBirth(std::string_view text, std::vector<Finding>* out);
void FindStreetAddresses(std::string_view text, const std::vector<Token>& tokens,
                         std::vector<Finding>* out);
void FindPersonNames(std::string_view text, const std::vector<Token>& tokens,
                     const NameGazetteer& names, std::vector<Finding>* out);

}  // namespace parley::analysis::pii
