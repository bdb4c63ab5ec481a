import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlatformDatabase
import PlatformSupport
import PlatformTesting
@testable import Server
import Testing

@Suite("Social: platform accounts (short-video seed), quotas, claims")
struct SocialAccountTests {
    @Test("CRUD in the seed's shapes: credentials sealed and masked, filters, available, platforms, reset, logical delete, other tenants 404")
    func accounts() async throws {
        try await withSocialApp("social_accounts", code: "pac") { _, _, client, people in
            let root = people.root
            let secret = "sk-live-1234567890abcd"
            let created = try await client.post("/api/v1/platform-accounts", [
                "platform": "YouTube", "name": "Channel A", "daily_limit": 10, "proxy": "http://user:hunter22@proxy.local:3128",
                "credentials": ["api_key": .string(secret), "pin": "4321", "oauth": ["refresh_token": "rt-abcdefghijkl"]],
            ], headers: root)
            #expect(created.status == .ok, "\(created.text)")
            let account = created.jsonBody
            #expect(account["platform"] == "youtube")
            #expect(account["credentials"] == ["api_key": "****abcd", "pin": "****", "oauth": ["refresh_token": "****ijkl"]])
            #expect(account["proxy"] == "http://user:****@proxy.local:3128")
            #expect(account["status"] == "active")
            #expect(account["used_today"] == 0)
            #expect(account["remaining_quota"] == 10)
            #expect(account["is_available"] == true)
            #expect(account["last_used_at"] == .null)
            #expect(!created.text.contains(secret) && !created.text.contains("hunter22"))
            let id = account.id
            // Sealed at rest: the value is nowhere in the row.
            let stored: String = try await people.database.withPlatformScope { tx in
                try await tx.first("SELECT encode(sealed_credentials, 'escape') || credentials_masked::text FROM platform_accounts WHERE id = \(UUID(uuidString: id))", as: String.self) ?? ""
            }
            #expect(!stored.isEmpty && !stored.contains(secret) && !stored.contains("rt-abcdefghijkl"))

            #expect(try await client.post("/api/v1/platform-accounts", ["platform": "youtube", "name": "channel a"], headers: root).status == .conflict)
            let unlimited = try await client.post("/api/v1/platform-accounts", ["platform": "youtube", "name": "Channel B"], headers: root).jsonBody
            #expect(unlimited["daily_limit"] == .null && unlimited["remaining_quota"] == .null && unlimited["is_available"] == true)
            _ = try await client.post("/api/v1/platform-accounts", ["platform": "tiktok", "name": "T", "daily_limit": 3], headers: root)
            let bad = try await client.post("/api/v1/platform-accounts", ["platform": "you tube", "name": "", "credentials": [1], "daily_limit": -1], headers: root)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(bad.jsonBody["error"]?["details"]?["fields"]?.objectKeys ?? []) == ["platform", "name", "credentials", "daily_limit"])

            // Lists: bare arrays, skip/limit, filters.
            let all = try await client.get("/api/v1/platform-accounts", headers: root).jsonBody
            #expect(all.arrayValues?.count == 3)
            #expect(try await client.get("/api/v1/platform-accounts?platform=youtube", headers: root).jsonBody.arrayValues?.count == 2)
            #expect(try await client.get("/api/v1/platform-accounts?skip=1&limit=1", headers: root).jsonBody.arrayValues?.count == 1)
            #expect(try await client.get("/api/v1/platform-accounts?status=inactive", headers: root).jsonBody.arrayValues?.count == 0)
            #expect(try await client.get("/api/v1/platform-accounts?status=lost", headers: root).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/platform-accounts?limit=0", headers: root).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/platform-accounts/platforms/list", headers: root).jsonBody == ["tiktok", "youtube"])
            #expect(try await client.get("/api/v1/platform-accounts", headers: people.member).status == .forbidden)

            // Usage: reset sets today's count; available lists the unlimited first, then most remaining.
            let used = try await client.post("/api/v1/platform-accounts/\(id)/reset-usage", ["used_today": 4], headers: root).jsonBody
            #expect(used["used_today"] == 4 && used["remaining_quota"] == 6)
            #expect(try await client.post("/api/v1/platform-accounts/\(id)/reset-usage", ["used_today": 11], headers: root).status == .unprocessableContent)
            let available = try await client.get("/api/v1/platform-accounts/available/youtube", headers: root).jsonBody
            #expect(available.arrayValues?.compactMap { $0["name"]?.stringValue } == ["Channel B", "Channel A"])
            #expect(try await client.get("/api/v1/platform-accounts/available/vimeo", headers: root).jsonBody == [])
            let reset = try await client.execute(uri: "/api/v1/platform-accounts/\(id)/reset-usage", method: .post, headers: root)
            #expect(reset.jsonBody["used_today"] == 0)

            // Update: the masked values sent back keep the stored ones; status and limit change.
            let changed = try await client.put("/api/v1/platform-accounts/\(id)", [
                "status": "inactive", "daily_limit": .null, "credentials": ["api_key": "****abcd", "pin": "9999", "oauth": ["refresh_token": "****ijkl"]],
            ], headers: root).jsonBody
            #expect(changed["status"] == "inactive" && changed["is_available"] == false && changed["remaining_quota"] == .null)
            #expect(changed["credentials"] == ["api_key": "****abcd", "pin": "****", "oauth": ["refresh_token": "****ijkl"]])
            #expect(try await client.get("/api/v1/platform-accounts/available/youtube", headers: root).jsonBody.arrayValues?.count == 1)
            #expect(try await client.put("/api/v1/platform-accounts/\(id)", ["name": "Channel B"], headers: root).status == .conflict)
            _ = try await client.put("/api/v1/platform-accounts/\(id)", ["status": "active"], headers: root)
            // What a worker receives is the original value, not the mask.
            let task = try await client.post("/api/v1/tasks", ["task_type": "upload_video", "platform_account_id": .string(id), "enqueue": true, "queue": "pac"], headers: root)
            #expect(task.status == .created, "\(task.text)")
            let claimed = try await client.post("/api/v1/tasks/claim", ["worker_id": "pac-w", "queues": ["pac"]], headers: root).jsonBody
            #expect(claimed[0]?["platform_account"]?["credentials"] == ["api_key": .string(secret), "pin": "9999", "oauth": ["refresh_token": "rt-abcdefghijkl"]])
            #expect(claimed[0]?["platform_account"]?["proxy"] == "http://user:hunter22@proxy.local:3128")
            #expect(claimed[0]?["platform_account"]?["name"] == "Channel A")

            // Other tenants see nothing.
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/platform-accounts/\(id)"), (.delete, "/api/v1/platform-accounts/\(id)"),
                                  (.post, "/api/v1/platform-accounts/\(id)/reset-usage")] {
                #expect(try await client.execute(uri: uri, method: method, headers: people.stranger).status == .notFound, "\(uri)")
            }
            #expect(try await client.put("/api/v1/platform-accounts/\(id)", ["name": "Mine"], headers: people.stranger).status == .notFound)
            #expect(try await client.get("/api/v1/platform-accounts", headers: people.stranger).jsonBody == [])
            #expect(try await client.get("/api/v1/platform-accounts/platforms/list", headers: people.stranger).jsonBody == [])

            // Logical delete.
            let deleted = try await client.delete("/api/v1/platform-accounts/\(id)", headers: root)
            #expect(deleted.jsonBody["id"]?.stringValue == id && deleted.jsonBody["message"] != nil)
            #expect(try await client.get("/api/v1/platform-accounts/\(id)", headers: root).status == .notFound)
            #expect(try await client.delete("/api/v1/platform-accounts/\(id)", headers: root).status == .notFound)
            #expect(try await client.get("/api/v1/platform-accounts", headers: root).jsonBody.arrayValues?.count == 2)
            #expect(try await client.post("/api/v1/platform-accounts", ["platform": "youtube", "name": "Channel A"], headers: root).status == .ok)
            let kept: Int = try await people.database.withPlatformScope { tx in
                try await tx.first("SELECT count(*)::int FROM platform_accounts WHERE id = \(UUID(uuidString: id)) AND deleted_at IS NOT NULL", as: Int.self) ?? 0
            }
            #expect(kept == 1)
        }
    }

    @Test("20 concurrent claims of tasks naming an account with a daily limit of 5: exactly 5 receive it in clear, never more uses")
    func concurrentQuota() async throws {
        try await withSocialApp("social_quota", code: "pq") { _, _, client, people in
            let root = people.root
            let account = try await client.post("/api/v1/platform-accounts", [
                "platform": "youtube", "name": "Quota", "daily_limit": 5, "credentials": ["cookie": "session-cookie-abcdefgh"],
            ], headers: root).jsonBody.id
            var tasks: [String] = []
            for _ in 0..<20 {
                let task = try await client.post(
                    "/api/v1/tasks", ["task_type": "upload_video", "platform_account_id": .string(account), "enqueue": true, "queue": "pq"], headers: root)
                tasks.append(task.jsonBody.id)
            }
            let claims = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await client.post("/api/v1/tasks/claim", ["worker_id": .string("pq-\(index)"), "queues": ["pq"], "limit": 1], headers: root).jsonBody
                    }
                }
                var all: [JSONValue] = []
                for try await claim in group { all.append(claim) }
                return all
            }
            let claimed = claims.compactMap { $0[0] }
            #expect(claimed.count == 20)
            #expect(Set(claimed.map(\.id)) == Set(tasks))
            let granted = claimed.filter { $0["platform_account"]?["credentials"] == ["cookie": "session-cookie-abcdefgh"] }
            let refused = claimed.filter { $0["platform_account"]?["quota_exhausted"] == true }
            #expect(granted.count == 5)
            #expect(refused.count == 15)
            #expect(refused.allSatisfy { $0["platform_account"]?["credentials"] == .null })
            let after = try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody
            #expect(after["used_today"] == 5 && after["remaining_quota"] == 0 && after["is_available"] == false)
            #expect(after["last_used_at"] != .null)
            #expect(try await client.get("/api/v1/platform-accounts/available/youtube", headers: root).jsonBody == [])

            // A task claimed again (its lease given back) is not counted twice and still gets the account.
            let again = try #require(granted.first)
            let requeued = try await client.post("/api/v1/tasks/callback", [
                "report_type": "requeue", "worker": "pq-0", "data": [["task_id": .string(again.id), "status": "queued"]],
            ], headers: root)
            #expect(requeued.jsonBody["processed"] == 1, "\(requeued.text)")
            let reclaimed = try await client.post("/api/v1/tasks/claim", ["worker_id": "pq-again", "queues": ["pq"]], headers: root).jsonBody
            #expect(reclaimed[0]?.id == again.id)
            #expect(reclaimed[0]?["platform_account"]?["credentials"] == ["cookie": "session-cookie-abcdefgh"])
            #expect(try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody["used_today"] == 5)

            // Another tenant's task naming the account gets nothing.
            _ = try await client.post("/api/v1/tasks", ["task_type": "upload_video", "platform_account_id": .string(account), "enqueue": true, "queue": "pq"],
                                      headers: people.stranger)
            let foreign = try await client.post("/api/v1/tasks/claim", ["worker_id": "pqx", "queues": ["pq"]], headers: people.stranger).jsonBody
            #expect(foreign[0]?["platform_account"] == .null)
        }
    }

    @Test("used_today starts again at midnight in the tenant's time zone (the timezone setting, UTC by default)")
    func midnight() async throws {
        try await withSocialApp("social_midnight", code: "pm") { _, _, client, people in
            let root = people.root
            let zone = try await client.post("/api/v1/settings/create", ["key": "timezone", "value": "Pacific/Kiritimati"], headers: root)
            #expect(zone.status == .created || zone.status == .ok, "\(zone.text)")
            let account = try await client.post("/api/v1/platform-accounts", ["platform": "youtube", "name": "Night", "daily_limit": 2], headers: root).jsonBody.id
            let full = try await client.post("/api/v1/platform-accounts/\(account)/reset-usage", ["used_today": 2], headers: root).jsonBody
            #expect(full["used_today"] == 2 && full["is_available"] == false)
            // Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date: in Pago Pago the
            // count belongs to another day.
            let setting = try await client.get("/api/v1/settings", headers: root).jsonBody["items"]?.arrayValues?.first { $0["key"] == "timezone" }
            let settingID = try #require(setting?.id)
            _ = try await client.put("/api/v1/settings/\(settingID)", ["value": "Pacific/Pago_Pago"], headers: root)
            let elsewhere = try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody
            #expect(elsewhere["used_today"] == 0 && elsewhere["remaining_quota"] == 2 && elsewhere["is_available"] == true)
            _ = try await client.put("/api/v1/settings/\(settingID)", ["value": "Pacific/Kiritimati"], headers: root)
            #expect(try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody["used_today"] == 2)
            // The stored day passing (midnight in the tenant's zone) starts the count again.
            try await people.database.withPlatformScope { tx in
                try await tx.query("UPDATE platform_accounts SET usage_day = usage_day - 1 WHERE id = \(UUID(uuidString: account))")
            }
            let nextDay = try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody
            #expect(nextDay["used_today"] == 0 && nextDay["is_available"] == true)
            #expect(try await client.get("/api/v1/platform-accounts/available/youtube", headers: root).jsonBody.arrayValues?.count == 1)
        }
    }

    @Test("a connection linked to a platform account draws on its quota; mismatched or used accounts are refused")
    func linkedQuota() async throws {
        try await withSocialApp("social_linked", code: "pl") { stub, base, client, people in
            let root = people.root
            let account = try await client.post("/api/v1/platform-accounts", ["platform": "mastodon", "name": "Fedi", "daily_limit": 1], headers: root).jsonBody.id
            let youtube = try await client.post("/api/v1/platform-accounts", ["platform": "youtube", "name": "YT"], headers: root).jsonBody.id
            let mismatch = try await client.post("/api/v1/social/connect", [
                "platform": "mastodon", "credentials": ["access_token": "m-token", "instance_url": .string(base)], "platform_account_id": .string(youtube),
            ], headers: root)
            #expect(mismatch.status == .unprocessableContent)
            let theirs = try await client.post("/api/v1/platform-accounts", ["platform": "mastodon", "name": "Theirs"], headers: people.stranger).jsonBody.id
            let foreign = try await client.post("/api/v1/social/connect", [
                "platform": "mastodon", "credentials": ["access_token": "m-token", "instance_url": .string(base)], "platform_account_id": .string(theirs),
            ], headers: root)
            #expect(foreign.status == .unprocessableContent)
            let connected = try await client.connectSocial("mastodon", base: base, headers: root, account: account)
            #expect(connected["platform_account_id"]?.stringValue == account)

            let first = try await client.post("/api/v1/social/posts", ["platforms": ["mastodon"], "content": "First of the day"], headers: root).jsonBody.id
            #expect(try await client.settledPost(first, headers: root).delivery("mastodon")?["status"] == "published")
            let second = try await client.post("/api/v1/social/posts", ["platforms": ["mastodon"], "content": "Second of the day"], headers: root).jsonBody.id
            let refused = try await client.settledPost(second, headers: root).delivery("mastodon")
            #expect(refused?["status"] == "failed")
            #expect(refused?["error"]?.stringValue?.contains("daily limit of 1") == true)
            #expect(stub.calls("POST", "/api/v1/statuses").count == 1)
            #expect(try await client.get("/api/v1/platform-accounts/\(account)", headers: root).jsonBody["used_today"] == 1)
            #expect(try await client.delete("/api/v1/platform-accounts/\(account)", headers: root).status == .conflict)
        }
    }
}
