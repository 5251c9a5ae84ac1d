"""Who may do what on an entity: access levels, the permission matrix, policy dependencies."""
