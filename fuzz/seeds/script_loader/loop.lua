function on_bar()
  while true do end
end
