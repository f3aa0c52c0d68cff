def test_probe(real_assistant):
    for q in ["How do I switch on prospective access in SystmOne?", "and in EMIS?", "patient 999 186 0916 wants to see records, how do I switch on prospective access in SystmOne?",
              "What is the capital of France?", "How do I configure a fax machine for record access audits?", "Which code holds a patient back for review?"]:
        a = real_assistant.answer(q)
        print(repr(q), a.kind.value, a.question, a.pii_warning, len(a.citations), len(a.closest), a.timings_ms.get("total"))
        print("   ", a.text[:200].replace("\n"," "))
