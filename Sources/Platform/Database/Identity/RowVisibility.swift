import Foundation
import PlatformSupport

/// Who may read a row besides its owner (the visibility model in policies/00_functions.sql).
public enum RowVisibility: String, Codable, Sendable, SchemaEnum, CaseIterable { case `private`, role, tenant, `public` }
