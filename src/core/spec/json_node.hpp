#pragma once
// A JSON value together with its path in the document ("linux.resources.memory.limit"), so
// that every validation error names the field: `process.user.uid: expected unsigned integer`.
// Shared by the config parser and the linux.resources parser (also used for `update -r`).
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sys/error.hpp"

namespace hako::spec {

class JsonNode {
public:
    JsonNode(const nlohmann::json& value, std::string path)
        : value_(&value), path_(std::move(path)) {}

    [[nodiscard]] const nlohmann::json& value() const { return *value_; }
    [[nodiscard]] const std::string& path() const { return path_; }

    // Throws "<path>: <message>" (just the message at the document's root).
    [[noreturn]] void error(std::string_view message) const {
        if (path_.empty()) fail("{}", message);
        fail("{}: {}", path_, message);
    }

    void expect_object() const {
        if (!value_->is_object()) error("expected object");
    }
    void expect_array() const {
        if (!value_->is_array()) error("expected array");
    }

    // The member `key`, or nullopt when it is absent or null.
    [[nodiscard]] std::optional<JsonNode> member(std::string_view key) const {
        expect_object();
        const auto it = value_->find(std::string(key));
        if (it == value_->end() || it->is_null()) return std::nullopt;
        return JsonNode(*it, child_path(key));
    }

    [[nodiscard]] JsonNode required(std::string_view key) const {
        auto node = member(key);
        if (!node) fail("{}: required", child_path(key));
        return *node;
    }

    // The elements of this array, each with its "[i]" path.
    [[nodiscard]] std::vector<JsonNode> elements() const {
        expect_array();
        std::vector<JsonNode> nodes;
        nodes.reserve(value_->size());
        for (std::size_t i = 0; i < value_->size(); ++i)
            nodes.emplace_back((*value_)[i], fmt::format("{}[{}]", path_, i));
        return nodes;
    }

    // The members of this object as (key, node) pairs; keys are quoted in the path because
    // they often contain dots ("linux.sysctl["net.ipv4.ip_forward"]", "unified["memory.max"]").
    [[nodiscard]] std::vector<std::pair<std::string, JsonNode>> entries() const {
        expect_object();
        std::vector<std::pair<std::string, JsonNode>> result;
        for (const auto& [key, item] : value_->items())
            result.emplace_back(
                key, JsonNode(item, fmt::format("{}[{}]", path_, nlohmann::json(key).dump())));
        return result;
    }

    [[nodiscard]] std::string child_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
    }

private:
    const nlohmann::json* value_;  // not owned: the document outlives every node
    std::string path_;
};

}  // namespace hako::spec
