// RequestScanner: a second http_parser with RESTinio's limits, pausing at the end of every
// request so the guard knows where complete requests end (see http_guard.h).
#include "api/http_guard.h"

#include <fmt/format.h>

#include <climits>
#include <nlohmann/json.hpp>

namespace vg::api {
namespace {

std::string_view ReasonPhraseOf(int status) {
  switch (status) {
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Bad Request";
  }
}

}  // namespace

std::string Rejection::Response() const {
  const std::string body = nlohmann::json{{"error", error}, {"message", message}}.dump();
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, ReasonPhraseOf(status), body.size(), body);
}

RequestScanner::RequestScanner(RequestLimits limits) : limits_(limits) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &RequestScanner::OnMessageBegin;
  settings_.on_url = &RequestScanner::OnUrl;
  settings_.on_header_field = &RequestScanner::OnHeaderField;
  settings_.on_header_value = &RequestScanner::OnHeaderValue;
  settings_.on_headers_complete = &RequestScanner::OnHeadersComplete;
  settings_.on_message_complete = &RequestScanner::OnMessageComplete;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

RequestScanner::Verdict RequestScanner::Feed(const char* data, size_t size) {
  Verdict verdict;
  if (failed_ || upgraded_) return verdict;
  size_t offset = 0;
  while (offset < size) {
    offset += http_parser_execute(&parser_, &settings_, data + offset, size - offset);
    const auto error = HTTP_PARSER_ERRNO(&parser_);
    if (error == HPE_PAUSED) {  // a request ended (OnMessageComplete pauses)
      http_parser_pause(&parser_, 0);
      verdict.last_request_end = offset;
      if (parser_.upgrade) {
        upgraded_ = true;
        return verdict;
      }
      continue;
    }
    if (error != HPE_OK) {
      failed_ = true;
      Rejection r;
      if (exceeded_ == Limit::kUrl) {
        r.status = 414;
        r.error = "uri_too_long";
        r.message =
            fmt::format("The request target is longer than {} bytes.", limits_.max_url_bytes);
      } else if (exceeded_ == Limit::kHeaders || error == HPE_HEADER_OVERFLOW) {
        r.status = 431;
        r.error = "headers_too_large";
        r.message = fmt::format(
            "The request headers are too large (at most {} fields of {} bytes in all, names up "
            "to {} bytes).",
            limits_.max_field_count, limits_.max_header_bytes, limits_.max_field_name_bytes);
      } else {
        r.status = 400;
        r.error = "invalid_argument";
        r.message =
            fmt::format("The request is not valid HTTP ({}).", http_errno_description(error));
      }
      verdict.rejection = std::move(r);
      return verdict;
    }
    break;  // everything consumed
  }
  return verdict;
}

int RequestScanner::OnMessageBegin(http_parser* parser) {
  auto* self = static_cast<RequestScanner*>(parser->data);
  self->exceeded_ = Limit::kNone;
  self->url_bytes_ = 0;
  self->field_name_bytes_ = 0;
  self->field_value_bytes_ = 0;
  self->field_count_ = 0;
  self->header_bytes_ = 0;
  self->last_was_value_ = true;
  return 0;
}

int RequestScanner::OnUrl(http_parser* parser, const char*, size_t length) {
  auto* self = static_cast<RequestScanner*>(parser->data);
  self->url_bytes_ += length;
  if (self->url_bytes_ > self->limits_.max_url_bytes) {
    self->exceeded_ = Limit::kUrl;
    return -1;
  }
  return 0;
}

int RequestScanner::OnHeaderField(http_parser* parser, const char*, size_t length) {
  auto* self = static_cast<RequestScanner*>(parser->data);
  if (self->last_was_value_) {
    if (self->field_count_ == self->limits_.max_field_count) {
      self->exceeded_ = Limit::kHeaders;
      return -1;
    }
    self->field_name_bytes_ = 0;
    self->last_was_value_ = false;
  }
  self->field_name_bytes_ += length;
  self->header_bytes_ += length;
  if (self->field_name_bytes_ > self->limits_.max_field_name_bytes ||
      self->header_bytes_ > self->limits_.max_header_bytes) {
    self->exceeded_ = Limit::kHeaders;
    return -1;
  }
  return 0;
}

int RequestScanner::OnHeaderValue(http_parser* parser, const char*, size_t length) {
  auto* self = static_cast<RequestScanner*>(parser->data);
  if (!self->last_was_value_) {
    ++self->field_count_;
    self->field_value_bytes_ = 0;
    self->last_was_value_ = true;
  }
  self->field_value_bytes_ += length;
  self->header_bytes_ += length;
  if (self->field_value_bytes_ >= self->limits_.max_field_value_bytes ||
      self->header_bytes_ > self->limits_.max_header_bytes) {
    self->exceeded_ = Limit::kHeaders;
    return -1;
  }
  return 0;
}

int RequestScanner::OnHeadersComplete(http_parser* parser) {
  auto* self = static_cast<RequestScanner*>(parser->data);
  // As the server's parser hook: an announced body over the limit is skipped (answered 413).
  if (parser->content_length != ULLONG_MAX && parser->content_length > 0 &&
      parser->content_length > self->limits_.max_body_bytes) {
    return 1;
  }
  return 0;
}

int RequestScanner::OnMessageComplete(http_parser* parser) {
  http_parser_pause(parser, 1);
  return 0;
}

}  // namespace vg::api
