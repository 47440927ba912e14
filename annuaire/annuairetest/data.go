package annuairetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Fictitious but realistic names, professions and places used to generate
// data. None designates a real person.
var (
	familyNames = []string{
		"MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS",
		"MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID",
		"BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE",
		"ROUSSEAU", "VINCENT", "MÜLLER", "LEFEBVRE", "FAURE", "ANDRÉ", "MERCIER", "BLANC",
		"GUÉRIN", "BOYER", "GARNIER", "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "GARCIA",
		"PERRIN", "ROBIN", "CLÉMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU",
		"D'ALMEIDA", "LE GALL", "SAINT-ANDRÉ", "CHÂTELIER",
	}
	givenNames = []string{
		"Jean", "Marie", "Pierre", "Anne", "Michel", "Isabelle", "Philippe", "Catherine",
		"Alain", "Nathalie", "Nicolas", "Sylvie", "François", "Christine", "Éric", "Sophie",
		"Laurent", "Véronique", "Stéphane", "Hélène", "Jean-Marie", "Anaïs", "Loïc", "Chloé",
		"Jérôme", "Agnès", "Noël", "Zoé", "Benoît", "Cécile",
	}
	professions = []struct{ code, label, category, domain string }{
		{"10", "Médecin", "C", "medecin.mssante.fr"},
		{"21", "Pharmacien", "C", "pharmacien.mssante.fr"},
		{"60", "Infirmier", "C", "infirmier.mssante.fr"},
		{"40", "Chirurgien-Dentiste", "C", "chirurgien-dentiste.mssante.fr"},
		{"50", "Sage-Femme", "C", "sagefemme.mssante.fr"},
		{"70", "Masseur-Kinésithérapeute", "C", "pro.mssante.fr"},
	}
	cities = []struct{ postcode, city, dept string }{
		{"75014", "PARIS", "75"}, {"69003", "LYON", "69"}, {"13005", "MARSEILLE", "13"},
		{"54000", "NANCY", "54"}, {"33000", "BORDEAUX", "33"}, {"59000", "LILLE", "59"},
		{"31000", "TOULOUSE", "31"}, {"20000", "AJACCIO", "2A"}, {"97400", "SAINT-DENIS", "974"},
	}
	structureKinds = []string{"CENTRE HOSPITALIER", "CLINIQUE", "CENTRE DE SANTÉ", "EHPAD", "LABORATOIRE", "PHARMACIE"}
	services       = []string{"Secrétariat", "Cardiologie", "Urgences", "Radiologie", "Pharmacie", "Accueil"}
)

// asciiLocal turns a name into the local-part spelling used by MSSanté
// addresses: lower case, no accents, no spaces or apostrophes.
func asciiLocal(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'à', 'â', 'ä':
			r = 'a'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'î', 'ï':
			r = 'i'
		case 'ô', 'ö':
			r = 'o'
		case 'ù', 'û', 'ü':
			r = 'u'
		case 'ç':
			r = 'c'
		case ' ', '\'':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// person is one generated professional.
type person struct {
	rpps, family, given, civility string
	prof                          int
}

func genPerson(rng *rand.Rand, i int) person {
	return person{
		rpps:     fmt.Sprintf("1%010d", 100000000+i),
		family:   familyNames[rng.IntN(len(familyNames))],
		given:    givenNames[rng.IntN(len(givenNames))],
		civility: []string{"DR", "M", "MME"}[rng.IntN(3)],
		prof:     rng.IntN(len(professions)),
	}
}

// structure is one generated organisation.
type structure struct {
	finess, name, domain string
	city                 int
}

func genStructure(rng *rand.Rand, i int) structure {
	c := rng.IntN(len(cities))
	kind := structureKinds[rng.IntN(len(structureKinds))]
	return structure{
		finess: fmt.Sprintf("%02d%07d", 10+i%80, i),
		name:   fmt.Sprintf("%s %s %d", kind, cities[c].city, i),
		domain: fmt.Sprintf("%s-%d.mssante.fr", asciiLocal(strings.Fields(kind)[0]), i),
		city:   c,
	}
}
