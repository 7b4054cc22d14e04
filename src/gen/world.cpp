namespace mutua::gen { int placeholder_ = 0; }
