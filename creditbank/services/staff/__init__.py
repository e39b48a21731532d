"""Staff of the console: accounts and roles, sign-in with a password and a TOTP code, sessions, and their acts."""
