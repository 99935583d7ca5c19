"""Writers that turn the application's plain sheet data into files for operators."""
