import Foundation
import Hummingbird
import PlatformHTTP
import PlatformSupport

enum MenuType: String, Codable, Sendable, CaseIterable, SchemaEnum { case directory, menu, button }
enum MenuStatus: String, Codable, Sendable, CaseIterable, SchemaEnum { case active, disabled }

/// A menu as served (and as a row: `MenuStore.columns`).
struct MenuView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var parentId: UUID?
    var code: String
    var name: String
    var type: MenuType
    var path: String?
    var icon: String?
    var component: String?
    var permission: String?
    var sort: Int
    var visible: Bool
    var status: MenuStatus
    var createdAt: Date
    var updatedAt: Date

    /// The wire form as a JSON object (tree nodes and audit entries).
    var jsonObject: [String: JSONValue] {
        guard let data = try? PlatformJSON.makeEncoder().encode(self),
            case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return [:] }
        return object
    }
}

/// The documented shape of a node of `GET /menus/tree` (the nodes themselves are `MenuTreeNode.json`).
enum MenuNodeSchema {
    static var jsonSchema: JSONValue {
        ["type": "object", "required": ["id", "code", "name", "type", "children"],
         "properties": ["id": ["type": "string", "format": "uuid"], "code": ["type": "string"], "name": ["type": "string"],
                        "type": ["type": "string", "enum": ["directory", "menu", "button"]], "children": ["type": "array", "items": ["type": "object"]]]]
    }

    static var treeResponse: RouteResponse {
        RouteResponse(.ok, "Tree", schema: .schema(["type": "object", "properties": ["items": ["type": "array", "items": jsonSchema]]]))
    }
}

struct MenuTree: Codable, Sendable, ResponseEncodable {
    var items: [JSONValue]
}

struct CreateMenu: Codable, Sendable {
    var parentId: UUID?
    var code: String
    var name: String
    var type: MenuType
    var path: String?
    var icon: String?
    var component: String?
    var permission: String?
    var sort: Int?
    var visible: Bool?
    var status: MenuStatus?
}

struct UpdateMenu: Codable, Sendable {
    var parentId: UUID?
    var name: String?
    var path: String?
    var icon: String?
    var component: String?
    var permission: String?
    var sort: Int?
    var visible: Bool?
    var status: MenuStatus?
}

struct MenuListQuery: QueryInput {
    var paging: PageRequest
    var type: MenuType?
}

enum MenuFields {
    /// `permission`: `.some(nil)` when a create leaves it out (a button needs one), nil when not checked.
    static func validate(code: String?, name: String?, type: MenuType?, permission: String??, path: String?, sort: Int? = nil) throws {
        var problems: [String: String] = [:]
        if let sort, !(-1_000_000...1_000_000).contains(sort) { problems["sort"] = "must be between -1000000 and 1000000" }
        if let code, code.wholeMatch(of: /[a-z0-9][a-z0-9:._-]{0,99}/) == nil { problems["code"] = "must be lowercase letters, digits and : . _ -, up to 100" }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 { problems["name"] = "must be 1 to 100 characters" }
        if type == .button, case .some(.none) = permission { problems["permission"] = "is required for a button" }
        if let path, path.count > 300 { problems["path"] = "is too long" }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}

extension APIError {
    static var menuNotFound: APIError { .notFound("Menu", code: "MENU_NOT_FOUND") }
    static var menuHasChildren: APIError { .conflict("The menu has children; move or delete them first", code: "MENU_HAS_CHILDREN") }
}
