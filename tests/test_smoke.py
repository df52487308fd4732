async def test_start_shows_menu(people, offline):
    anna = people(101, "Anna", "en")
    await anna.send("/start")
    assert "Welcome" in anna.last().text
