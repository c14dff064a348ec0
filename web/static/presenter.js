// presenter screen
