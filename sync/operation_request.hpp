// An operation's stored payload turned back into the typed request the client sends
// (storage/plan.hpp says each kind's payload is the JSON that feishu/models.hpp's encode() makes).
//
// Decoding is strict: a member apply does not know how to send (orders, custom attributes, ...) or
// of the wrong type is an InputError naming the member, so an operation is never sent with part of
// its intent silently dropped. encode(decode_x(p)) == p for every payload these accept.
#pragma once

#include "common/json.hpp"
#include "feishu/models.hpp"

#include <optional>
#include <string_view>

namespace dirsync::sync {

feishu::UserCreate decode_user_create(const json::Value& payload);
feishu::UserPatch decode_user_patch(const json::Value& payload);
feishu::UserDelete decode_user_delete(const json::Value& payload);
feishu::UserResurrect decode_user_resurrect(const json::Value& payload);

// The value a user has for a member of a UserPatch payload ("job_title", "department_ids",
// "is_frozen", "is_resigned", ...), in the payload's JSON shape; null when the user has none
// (an empty text); nullopt for a member this does not know. Used to compare an operation's
// precondition with the mirror.
std::optional<json::Value> find_user_field(const feishu::User& user, std::string_view member);

// Whether two values of one member mean the same: null and "" are equal; department_ids and other
// lists compare as sets; numbers and numeric strings compare by value.
bool same_field_value(const json::Value& a, const json::Value& b);

} // namespace dirsync::sync
