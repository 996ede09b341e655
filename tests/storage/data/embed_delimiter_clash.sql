-- A file that contains the end of the raw string literal it would be embedded in:
SELECT ')dirsync_embed"';
