"""Who is calling and who may: principals, sessions, the permission matrix, policy factories."""
