// index screen
