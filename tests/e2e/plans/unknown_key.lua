return {
  fine = { persona = "table", clients = 2 },
  typo = { persona = "table", client = 2 },
}
