// S3's XML documents over libxml2 (see s3_xml.h).
#include "storage/s3_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <time.h>

#include <charconv>
#include <cstring>
#include <mutex>

#include "base/c_handle.h"

namespace vg::storage::s3xml {
namespace {

using XmlDoc = CHandle<xmlDoc, xmlFreeDoc>;

void FreeXmlChar(xmlChar* text) { xmlFree(text); }
using XmlText = CHandle<xmlChar, FreeXmlChar>;

// Parses `xml` without network access or entity expansion; null when it is not XML.
XmlDoc Parse(std::string_view xml) {
  InitXml();
  // S3 may pad a long-running answer with whitespace; an XML declaration must come first.
  while (!xml.empty() && (xml.front() == ' ' || xml.front() == '\n' || xml.front() == '\r' ||
                          xml.front() == '\t')) {
    xml.remove_prefix(1);
  }
  if (xml.empty() || xml.size() > (64u << 20)) return nullptr;
  return XmlDoc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "s3.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

bool IsElement(const xmlNode* node, const char* name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE &&
         std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

const xmlNode* Child(const xmlNode* parent, const char* name) {
  for (const xmlNode* child = parent->children; child != nullptr; child = child->next) {
    if (IsElement(child, name)) return child;
  }
  return nullptr;
}

std::string Text(const xmlNode* node) {
  if (node == nullptr) return {};
  XmlText text(xmlNodeGetContent(node));
  return text ? std::string(reinterpret_cast<const char*>(text.get())) : std::string();
}

std::string ChildText(const xmlNode* parent, const char* name) { return Text(Child(parent, name)); }

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

bool ParseInt(std::string_view text, int64_t* value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

void InitXml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

std::optional<ErrorBody> ParseError(std::string_view xml) {
  XmlDoc doc = Parse(xml);
  if (!doc) return std::nullopt;
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!IsElement(root, "Error")) return std::nullopt;
  ErrorBody error;
  error.code = ChildText(root, "Code");
  error.message = ChildText(root, "Message");
  error.region = ChildText(root, "Region");
  return error;
}

std::string RootName(std::string_view xml) {
  XmlDoc doc = Parse(xml);
  if (!doc) return {};
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  return root == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(root->name));
}

Result<std::string> ParseUploadId(std::string_view xml) {
  XmlDoc doc = Parse(xml);
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (!IsElement(root, "InitiateMultipartUploadResult")) {
    return Error(ErrorCode::kInternal,
                 "the answer to CreateMultipartUpload is not an "
                 "InitiateMultipartUploadResult document");
  }
  std::string upload_id = ChildText(root, "UploadId");
  if (upload_id.empty()) {
    return Error(ErrorCode::kInternal, "the answer to CreateMultipartUpload has no UploadId");
  }
  return upload_id;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  XmlDoc doc = Parse(xml);
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (!IsElement(root, "ListBucketResult")) {
    return Error(ErrorCode::kInternal,
                 "the answer to ListObjectsV2 is not a ListBucketResult document");
  }
  ListPage page;
  page.truncated = ChildText(root, "IsTruncated") == "true";
  page.next_continuation_token = ChildText(root, "NextContinuationToken");
  for (const xmlNode* child = root->children; child != nullptr; child = child->next) {
    if (!IsElement(child, "Contents")) continue;
    ObjectEntry entry;
    entry.key = ChildText(child, "Key");
    const std::string size = ChildText(child, "Size");
    const auto modified = ParseIso8601Ms(ChildText(child, "LastModified"));
    if (entry.key.empty() || !ParseInt(size, &entry.size_bytes) || !modified) {
      return Error(ErrorCode::kInternal,
                   "ListObjectsV2 returned an entry without a key, size "
                   "or modification date");
    }
    entry.modified_unix_ms = *modified;
    page.objects.push_back(std::move(entry));
  }
  if (page.truncated && page.next_continuation_token.empty()) {
    return Error(ErrorCode::kInternal,
                 "ListObjectsV2 says the list is truncated but gives no continuation token");
  }
  return page;
}

std::string CompleteMultipartUploadXml(const std::vector<std::string>& etags) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           EscapeXml(etags[i]) + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ParseInt(text.substr(0, 4), &year) || !ParseInt(text.substr(5, 2), &month) ||
      !ParseInt(text.substr(8, 2), &day) || !ParseInt(text.substr(11, 2), &hour) ||
      !ParseInt(text.substr(14, 2), &minute) || !ParseInt(text.substr(17, 2), &second)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2) return std::nullopt;
    std::string digits(rest.substr(1, 3));
    while (digits.size() < 3) digits.push_back('0');
    if (!ParseInt(digits, &millis)) return std::nullopt;
  }
  struct tm utc {};
  utc.tm_year = static_cast<int>(year - 1900);
  utc.tm_mon = static_cast<int>(month - 1);
  utc.tm_mday = static_cast<int>(day);
  utc.tm_hour = static_cast<int>(hour);
  utc.tm_min = static_cast<int>(minute);
  utc.tm_sec = static_cast<int>(second);
  const time_t seconds = timegm(&utc);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000 + millis;
}

std::optional<int64_t> ParseHttpDateMs(std::string_view text) {
  // IMF-fixdate, parsed by hand (strptime's %a and %b follow the process locale):
  // "Fri, 24 May 2013 00:00:00 GMT".
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (text.size() != 29 || text[3] != ',' || text.substr(25) != " GMT" || text[19] != ':' ||
      text[22] != ':') {
    return std::nullopt;
  }
  const size_t month_at = kMonths.find(text.substr(8, 3));
  int64_t day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (month_at == std::string_view::npos || month_at % 3 != 0 ||
      !ParseInt(text.substr(5, 2), &day) || !ParseInt(text.substr(12, 4), &year) ||
      !ParseInt(text.substr(17, 2), &hour) || !ParseInt(text.substr(20, 2), &minute) ||
      !ParseInt(text.substr(23, 2), &second)) {
    return std::nullopt;
  }
  struct tm utc {};
  utc.tm_year = static_cast<int>(year - 1900);
  utc.tm_mon = static_cast<int>(month_at / 3);
  utc.tm_mday = static_cast<int>(day);
  utc.tm_hour = static_cast<int>(hour);
  utc.tm_min = static_cast<int>(minute);
  utc.tm_sec = static_cast<int>(second);
  const time_t seconds = timegm(&utc);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000;
}

}  // namespace vg::storage::s3xml
